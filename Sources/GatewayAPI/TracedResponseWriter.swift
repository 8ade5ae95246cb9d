import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import NIOCore

extension HTTPField.Name {
    /// W3C Trace Context, honoured on the way in and returned on every traced response.
    public static let traceparent = HTTPField.Name("traceparent")!
    public static let tracestate = HTTPField.Name("tracestate")!
}

/// Wraps a request's writer to return `traceparent` (and `tracestate`) with the head and to
/// record the status, the stream's writes and bytes, and whether the client went away.
struct TracedResponseWriter: HTTPResponseWriter {
    let base: any HTTPResponseWriter
    let trace: RequestTrace

    /// Adds `traceparent` (and `tracestate`) to a head that has neither yet.
    static func addTraceContext(of trace: RequestTrace, to head: inout HTTPResponse) {
        head.headerFields.append(HTTPField(name: .traceparent, value: trace.context.traceparent))
        if let state = trace.context.traceState { head.headerFields.append(HTTPField(name: .tracestate, value: state)) }
    }

    func writeHead(_ head: HTTPResponse) async throws {
        var head = head
        head.headerFields[.traceparent] = self.trace.context.traceparent
        if let state = self.trace.context.traceState { head.headerFields[.tracestate] = state }
        self.trace.recordHead(status: head.status.code)
        do {
            try await self.base.writeHead(head)
        } catch {
            self.trace.recordFinish(clientGone: true)
            throw error
        }
    }

    func writeBody(_ bytes: ByteBuffer) async throws {
        self.trace.recordBody(bytes: bytes.readableBytes)
        do {
            try await self.base.writeBody(bytes)
        } catch {
            self.trace.recordFinish(clientGone: true)
            throw error
        }
    }

    func finish() async throws {
        do {
            try await self.base.finish()
            self.trace.recordFinish(clientGone: false)
        } catch {
            self.trace.recordFinish(clientGone: true)
            throw error
        }
    }
}
