import GatewayAPI
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import Testing

/// A real server on 127.0.0.1 with an ephemeral port: the transport, the API handler, echo
/// engines (`echo`, and `echo-slow` that paces its pieces so streams last).
enum GatewayFixture {
    static let maxBodyBytes = 64 * 1024

    static func withServer<Result>(
        _ body: (_ port: Int, _ server: HTTPServer) async throws -> Result
    ) async throws -> Result {
        let handler = OpenAIRequestHandler(
            engines: [EchoEngine(), EchoEngine(modelName: "echo-slow", tokenInterval: .milliseconds(20))],
            logger: Logger(label: "test.api"))
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodySize: Self.maxBodyBytes)
        let server = HTTPServer(configuration: configuration, handler: handler, logger: Logger(label: "test.server"))
        let address = try await server.start()
        let port = try #require(address.port)
        do {
            let result = try await body(port, server)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}
