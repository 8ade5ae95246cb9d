import HTTPTransport
import HTTPTypes
import NIOCore

/// Sends load requests over a pool of HTTP/2 or HTTP/1.1 connections and measures each one.
/// `send` never throws: every failure is a record with an error kind.
public final class LoadClient: Sendable {
    public let configuration: LoadClientConfiguration
    /// Records' `start` counts from here unless the caller gives its own origin.
    public let origin: ContinuousClock.Instant
    private let pool: ConnectionPool

    public init(configuration: LoadClientConfiguration) {
        self.configuration = configuration
        self.origin = .now
        self.pool = ConnectionPool(configuration: configuration)
    }

    /// Sends `request`, waits for its whole response (or the timeout) and returns what it measured.
    public func send(_ request: LoadRequest) async -> RequestRecord {
        await self.send(request, origin: self.origin)
    }

    /// As `send(_:)`, with `start` counted from `origin` (a run's start).
    public func send(_ request: LoadRequest, origin: ContinuousClock.Instant) async -> RequestRecord {
        let sentTraceID = TraceContext.randomTraceID()
        let head = self.requestHead(for: request, traceID: sentTraceID)
        let body = ByteBuffer(bytes: request.jsonBody())
        let capture = ResponseCapture(streaming: request.stream)
        let called = ContinuousClock.now
        let failure = await self.execute(head, body: body, capture: capture)
        let returned = ContinuousClock.now
        let state = capture.snapshot()
        // Times stamped on the event loop when there are some: the wire, not task scheduling.
        let started = state.startTime ?? called
        let ended = state.endTime ?? returned
        var record = RequestRecord(index: request.index, start: DurationText.seconds(started - origin), traceID: sentTraceID)
        record.endToEnd = DurationText.seconds(ended - started)
        if let response = state.head {
            record.status = response.status.code
            record.requestID = response.headerFields[HTTPField.Name("x-request-id")!]
            record.servedVersion = response.headerFields[HTTPField.Name("x-switchyard-model-version")!]
            record.timeToHead = state.headTime.map { DurationText.seconds($0 - started) }
            if let traceparent = response.headerFields[HTTPField.Name("traceparent")!],
                let traceID = TraceContext.traceID(fromTraceparent: traceparent)
            {
                record.traceID = traceID
            }
        }
        if let failure {
            record.errorKind = failure.kind
            record.errorMessage = failure.message
            return record
        }
        guard let response = state.head else {
            record.errorKind = "bad_response"
            record.errorMessage = "no response head"
            return record
        }
        guard response.status.code == 200 else {
            record.errorKind = "http_\(response.status.code)"
            record.errorMessage = ResponseAnalysis.errorMessage(state.partial) ?? "status \(response.status.code)"
            return record
        }
        self.measure(response: state, request: request, started: started, ended: ended, into: &record)
        return record
    }

    /// One plain request (the admin API's), with the configuration's headers: the status and
    /// the whole body, or why no answer came.
    func fetch(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]) async -> (status: Int?, body: [UInt8], failure: String?) {
        let head = self.head(method, path, fields: self.fields(accept: "application/json"))
        let capture = ResponseCapture(streaming: false)
        let failure = await self.execute(head, body: ByteBuffer(bytes: body), capture: capture)
        let state = capture.snapshot()
        return (state.head?.status.code, state.partial, failure.map { "\($0.kind): \($0.message)" })
    }

    private func measure(
        response state: ResponseCapture.State, request: LoadRequest, started: ContinuousClock.Instant,
        ended: ContinuousClock.Instant, into record: inout RequestRecord
    ) {
        let result: ResponseAnalysis.Result
        if request.stream {
            result = ResponseAnalysis.analyzeStream(state.events)
            if let first = result.tokenTimes.first {
                record.ttft = DurationText.seconds(first - started)
            }
            record.interTokenGaps = zip(result.tokenTimes.dropFirst(), result.tokenTimes).map { DurationText.seconds($0 - $1) }
        } else {
            result = ResponseAnalysis.analyzeBody(state.partial)
            // A whole body's first token arrives with its last byte.
            record.ttft = DurationText.seconds((state.lastByteTime ?? ended) - started)
        }
        record.text = result.text
        record.servedModel = result.model
        record.outputTokens = result.completionTokens ?? result.tokenTimes.count
        record.promptTokens = result.promptTokens
        record.errorKind = result.errorKind
        record.errorMessage = result.errorMessage
        if let expected = request.expectedText {
            record.mismatch = expected != result.text
        }
    }

    private func requestHead(for request: LoadRequest, traceID: String) -> HTTPRequest {
        var fields = self.fields(accept: request.stream ? "text/event-stream" : "application/json")
        fields[HTTPField.Name("traceparent")!] = TraceContext.traceparent(traceID: traceID)
        return self.head(.post, request.endpoint.path, fields: fields)
    }

    /// A JSON request's fields, with the configuration's extra headers.
    private func fields(accept: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.accept] = accept
        for (name, value) in self.configuration.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }

    private func head(_ method: HTTPRequest.Method, _ path: String, fields: HTTPFields) -> HTTPRequest {
        HTTPRequest(method: method, scheme: self.configuration.tls == nil ? "http" : "https", authority: nil, path: path, headerFields: fields)
    }

    private struct Failure: Sendable {
        var kind: String
        var message: String
    }

    /// Runs the exchange against the timeout; the loser is cancelled.
    private func execute(_ head: HTTPRequest, body: ByteBuffer, capture: ResponseCapture) async -> Failure? {
        let timeout = self.configuration.requestTimeout
        let pool = self.pool
        return await withTaskGroup(of: Failure?.self) { group in
            group.addTask {
                do throws(HTTPClientError) {
                    let connection = try await pool.connection()
                    try await connection.execute(head, body: body) { capture.receive($0) }
                    return nil
                } catch {
                    return Failure(kind: error.code.name, message: error.message)
                }
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return nil
                }
                return Failure(kind: "timeout", message: "no complete response within \(timeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The exchange's own outcome after cancellation (`cancelled`) is not the story.
            return first
        }
    }

    /// Closes every connection.
    public func close() async {
        await self.pool.close()
    }
}
