import Foundation
import GatewayAPI
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import TestSupport
import Testing

extension GatewayFixture {
    /// A fresh temporary data directory for one test.
    static func temporaryDataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-data-\(UUID().uuidString)").path
    }

    /// The same server as `withServer`, with telemetry on: a trace store in `dataDirectory`,
    /// metrics, `exporters` handed every finished trace, and `echo-slow` pacing its pieces 5 ms
    /// apart so decode spans have length.
    static func withTelemetryServer<Result>(
        dataDirectory: String, exporters: [any SpanExporter] = [],
        _ body: (_ port: Int, _ telemetry: Telemetry) async throws -> Result
    ) async throws -> Result {
        let store = try TraceStore(directory: dataDirectory)
        let telemetry = Telemetry(store: store, exporters: exporters)
        let handler = OpenAIRequestHandler(
            engines: [EchoEngine(), EchoEngine(modelName: "echo-slow", tokenInterval: .milliseconds(5))],
            logger: Logger(label: "test.api"), telemetry: telemetry)
        let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, maxBodySize: Self.maxBodyBytes)
        let server = HTTPServer(configuration: configuration, handler: handler, logger: Logger(label: "test.server"))
        let address = try await server.start()
        let port = try #require(address.port)
        do {
            let result = try await body(port, telemetry)
            await server.shutdown()
            try store.close()
            return result
        } catch {
            await server.shutdown()
            try? store.close()
            throw error
        }
    }

    /// `curl` against the fixture: headers and body on stdout.
    static func curl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/curl", ["-sS", "--max-time", "30", "-D", "-"] + arguments, timeoutSeconds: 40)
    }

    /// The JSON body of a `curl -D -` answer (after the blank line ending the head).
    static func jsonBody(_ output: String) throws -> [String: Any] {
        let parts = output.components(separatedBy: "\r\n\r\n")
        let body = try #require(parts.last)
        return try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(output)")
    }

    /// A response header's value (`name` in lowercase).
    static func header(_ name: String, in output: String) -> String? {
        for line in output.components(separatedBy: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix(name + ":") { return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
