import GatewayAPI
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import Testing

/// A real gateway on 127.0.0.1 with an ephemeral port serving echo engines: `echo`, and
/// `echo-paced` whose pieces come `pace` apart (so latencies are long enough to compare).
enum EchoServer {
    static func with<Result>(
        pace: Duration = .milliseconds(2),
        tls: TLSConfiguration? = nil,
        _ body: (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let handler = OpenAIRequestHandler(
            engines: [EchoEngine(), EchoEngine(modelName: "echo-paced", tokenInterval: pace)],
            logger: Logger(label: "test.loadgen.api"))
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, tls: tls, maxConcurrentStreams: 256)
        let server = HTTPServer(configuration: configuration, handler: handler, logger: Logger(label: "test.loadgen.server"))
        let address = try await server.start()
        let port = try #require(address.port)
        do {
            let result = try await body(port)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}
