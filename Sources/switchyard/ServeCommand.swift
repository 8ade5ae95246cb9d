import ArgumentParser
import Foundation
import GatewayAPI
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import NIOPosix

/// `switchyard serve`: the HTTP/2 + HTTP/1.1 server, the OpenAI-compatible API, the engines.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the OpenAI-compatible API over HTTP/2 and HTTP/1.1.",
        discussion: """
            Always serves the 'echo' model (streams the prompt back, no model compute); each \
            --model DIR adds a model version. Once bound it prints one line: \
            `switchyard listening on http://HOST:PORT`. SIGINT or SIGTERM shuts down gracefully \
            (GOAWAY, in-flight streams finish). Flags override --config; the config file is a JSON \
            object keyed by flag names, e.g. {"port": 8080, "model": ["Models/smollm2/1"]}.
            """
    )

    @Option(help: "Address to listen on (default \(ServeSettings.defaultHost), loopback only).")
    var host: String?

    @Option(help: "API port (default \(ServeSettings.defaultPort); 0 picks a free one).")
    var port: Int?

    @Option(help: "Port reserved for the admin API (default \(ServeSettings.defaultAdminPort)); validated, not bound yet.")
    var adminPort: Int?

    @Option(name: .customLong("model"), help: "A model version directory (Models/NAME/VERSION with manifest.json); repeatable.")
    var models: [String] = []

    @Option(help: "JSON file with the same settings; flags override it.")
    var config: String?

    @Option(help: "PEM certificate chain; serves TLS with ALPN h2/http1.1 (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Directory for the trace store and audit log (SQLite); without it no traces are kept.")
    var dataDir: String?

    @Option(help: "Log format: json (one object per line) or text.")
    var logFormat: String = LogFormat.json.rawValue

    @Option(help: "Largest request body in bytes (default \(ServeSettings.defaultMaxBodyBytes)); larger gets 413.")
    var maxBodyBytes: Int?

    func run() async throws {
        do {
            try await self.serve()
        } catch let error as ServeError {
            FileHandle.standardError.write(Data("switchyard: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func serve() async throws {
        let flags = ServeSettings(
            host: self.host, port: self.port, adminPort: self.adminPort, models: self.models,
            tlsCertificate: self.tlsCert, tlsKey: self.tlsKey, maxBodyBytes: self.maxBodyBytes)
        let fromFile = try self.config.map(ServeSettings.load(path:)) ?? ServeSettings()
        let settings = try ResolvedServeSettings(flags.overriding(fromFile))
        let engines = try Self.engines(for: settings.models)
        guard let logFormat = LogFormat(rawValue: self.logFormat) else {
            throw ServeError("--log-format must be json or text, not '\(self.logFormat.prefix(32))'")
        }

        // Logs go to stderr: stdout carries only the "listening" line that scripts parse.
        let (telemetry, logger) = try Self.makeTelemetry(dataDirectory: self.dataDir, logFormat: logFormat, engines: engines)
        let readiness = ServingReadiness()
        let handler = OpenAIRequestHandler(engines: engines, readiness: readiness, logger: logger, telemetry: telemetry)
        let configuration = HTTPServerConfiguration(
            host: settings.host, port: settings.port,
            tls: settings.tls.map { TLSConfiguration(certificateChainPath: $0.certificate, privateKeyPath: $0.key) },
            maxBodySize: settings.maxBodyBytes)
        let signals = TerminationSignals()
        let server = HTTPServer(configuration: configuration, handler: handler, logger: logger)
        let address: SocketAddress
        do {
            address = try await server.start()
        } catch {
            throw ServeError("cannot listen on \(settings.host):\(settings.port): \(error)")
        }
        let scheme = settings.tls == nil ? "http" : "https"
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        // Written unbuffered, so a parent reading the pipe sees it at once.
        FileHandle.standardOutput.write(Data("switchyard listening on \(scheme)://\(host):\(address.port ?? settings.port)\n".utf8))
        readiness.markReady()
        logger.info("serving", metadata: ["models": "\(engines.map(\.modelName))"])

        let signal = await signals.next()
        logger.info("shutting down", metadata: ["signal": "\(signal ?? 0)"])
        readiness.markDraining()
        await server.shutdown()
        try? telemetry.store?.close()
    }
}
