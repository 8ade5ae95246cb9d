import ArgumentParser
import DeviceSimulation
import Foundation
import GatewayAPI
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import NIOPosix
import OTLPExport
import ReplicaRouting

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

    @Option(help: "Admin API port (default \(ServeSettings.defaultAdminPort); 0 picks a free one), bearer token required.")
    var adminPort: Int?

    @Option(help: "Where the registry database, the trace store and a generated admin token live (default \(RegistrySettings.defaultDataDirectory)).")
    var dataDir: String?

    @Option(help: "The model repository, NAME/VERSION/manifest.json (default: the first --model's, else \(RegistrySettings.defaultModelsDirectory)).")
    var modelsDir: String?

    @Option(help: "File holding the admin bearer token (else $SWITCHYARD_ADMIN_TOKEN, else DATA_DIR/admin-token, made if absent).")
    var adminTokenFile: String?

    @Option(help: "least-outstanding-tokens (default), power-of-two or prefix-affinity.")
    var routingPolicy: String?

    @Option(help: "Address of the admin API (default 127.0.0.1, whatever --host is).")
    var adminHost: String?

    @Option(name: .customLong("model"), help: "A model version directory (Models/NAME/VERSION with manifest.json); repeatable.")
    var models: [String] = []

    @Option(help: "JSON file with the same settings; flags override it.")
    var config: String?

    @Option(help: "PEM certificate chain; serves TLS with ALPN h2/http1.1 (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "Log format: json (one object per line) or text.")
    var logFormat: String = LogFormat.json.rawValue

    @Option(help: "Largest request body in bytes (default \(ServeSettings.defaultMaxBodyBytes)); larger gets 413.")
    var maxBodyBytes: Int?

    @Option(help: "The simulated fleet NODESxDEVICES every replica is pinned to (default 1x1, one H200); its KV pool comes from the device's HBM ledger.")
    var fleet: String?

    @Option(help: "Simulated device model: h200 (default) or h100.")
    var device: String?

    @Option(help: "Tensor-parallel degree of a replica whose manifest names none (default 1): placement on one node's devices and the cost model's all-reduces; the CPU still runs one replica.")
    var tensorParallel: Int?

    @Option(help: "Share of each simulated device's HBM that may be committed, (0, 1] (default 0.9).")
    var deviceMemoryUtilization: Double?

    @Option(help: "'simulated' releases each step's tokens no earlier than the simulated device would (default none).")
    var pace: String?

    @Option(help: "Host memory a pinned replica's KV cache may take, in MiB (default 512).")
    var hostKVBudgetMib: Int?

    @Option(help: "Seconds a request may wait to start when it sends no x-request-timeout (default \(Int(ServeSettings.defaultRequestTimeout))); one that cannot start in time gets 429 at once.")
    var requestTimeout: Double?

    @Option(help: "OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces) each request's spans are exported to; the standard OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variables, which win over it, also turn export on.")
    var otlpEndpoint: String?

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
            tlsCertificate: self.tlsCert, tlsKey: self.tlsKey, maxBodyBytes: self.maxBodyBytes,
            registry: RegistrySettings(
                dataDirectory: self.dataDir, modelsDirectory: self.modelsDir, adminTokenFile: self.adminTokenFile,
                routingPolicy: self.routingPolicy, adminHost: self.adminHost),
            devices: DeviceServeSettings(
                fleet: self.fleet, device: self.device, deviceMemoryUtilization: self.deviceMemoryUtilization,
                pace: self.pace, hostKVBudgetMiB: self.hostKVBudgetMib, tensorParallel: self.tensorParallel),
            requestTimeout: self.requestTimeout)
        let fromFile = try self.config.map(ServeSettings.load(path:)) ?? ServeSettings()
        let settings = try ResolvedServeSettings(flags.overriding(fromFile))
        guard let logFormat = LogFormat(rawValue: self.logFormat) else {
            throw ServeError("--log-format must be json or text, not '\(self.logFormat.prefix(32))'")
        }

        // Logs go to stderr: stdout carries only the "listening" line that scripts parse.
        let (telemetry, logger, exporter) = try Self.makeTelemetry(
            dataDirectory: settings.registry.dataDirectory, logFormat: logFormat, otlpEndpoint: self.otlpEndpoint)
        guard let exporter else { return try await self.serve(settings, telemetry: telemetry, logger: logger) }
        // The exporter sends in batches beside the server and flushes after it has shut down.
        try await exporter.withRunning { try await self.serve(settings, telemetry: telemetry, logger: logger) }
    }

    private func serve(_ settings: ResolvedServeSettings, telemetry: Telemetry, logger: Logger) async throws {
        let deviceFleet = DeviceFleet(
            fleet: Fleet(device: settings.devices.device, shape: settings.devices.fleet, utilizationLimit: settings.devices.utilization))
        let registry = try await Self.makeRegistry(settings, devices: deviceFleet, logger: logger)
        // The devices table goes to stderr with the logs; stdout carries only the listening line.
        FileHandle.standardError.write(Data((DevicesCommand.render(deviceFleet.report()) + "\n").utf8))
        let readiness = ServingReadiness()
        let models = RoutedModels(registry, fallback: [EchoEngine()])
        let handler = OpenAIRequestHandler(models: models, readiness: readiness, logger: logger, telemetry: telemetry)
        let configuration = HTTPServerConfiguration(
            host: settings.host, port: settings.port,
            tls: settings.tls.map { TLSConfiguration(certificateChainPath: $0.certificate, privateKeyPath: $0.key) },
            maxBodySize: settings.maxBodyBytes)
        let signals = TerminationSignals()
        let server = HTTPServer(configuration: configuration, handler: handler, logger: logger)
        let admin = try await Self.startAdmin(settings, registry: registry, logger: logger)
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
        logger.info("serving", metadata: ["models": "\(models.modelNames)"])

        // Replica health checks run until the signal comes.
        let signal = await withTaskGroup(of: Void.self) { group in
            group.addTask { await registry.runHealthChecks() }
            let signal = await signals.next()
            group.cancelAll()
            return signal
        }
        logger.info("shutting down", metadata: ["signal": "\(signal ?? 0)"])
        readiness.markDraining()
        await server.shutdown()
        await admin.shutdown()
        try? telemetry.close()
    }
}
