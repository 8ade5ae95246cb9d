import DeviceSimulation
import Foundation
import GatewayAPI
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import ReplicaRouting

extension ServeCommand {
    /// The registry over the model repository, its state in `DATA_DIR/registry.sqlite`:
    /// what the database asks for is restored first, then each `--model` directory
    /// (`ROOT/NAME/VERSION`) whose model has no version yet is loaded, validated and promoted.
    /// Without `--models-dir`, the first `--model`'s ROOT is the repository. Every replica the
    /// registry loads is pinned to `devices` (the one ledger `GET /admin/devices` shows).
    static func makeRegistry(_ settings: ResolvedServeSettings, devices: DeviceFleet, logger: Logger) async throws -> ModelRegistry {
        let dataDirectory = settings.registry.dataDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ServeError("cannot create data directory \(dataDirectory): \(error.localizedDescription)")
        }
        let versions = settings.models.map { directory in
            let url = URL(fileURLWithPath: directory).standardizedFileURL
            return (directory: directory, root: url.deletingLastPathComponent().deletingLastPathComponent().path,
                name: url.deletingLastPathComponent().lastPathComponent, version: url.lastPathComponent)
        }
        let root = URL(fileURLWithPath: settings.registry.modelsDirectoryFlag ?? versions.first?.root ?? settings.registry.modelsDirectory)
            .standardizedFileURL.path
        let store: RegistryStore
        do {
            store = try RegistryStore(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("registry.sqlite").path)
        } catch {
            throw ServeError(error.message)
        }
        var configuration = ModelRegistry.Configuration()
        configuration.defaultPolicy = settings.registry.routingPolicy
        var replica = LlamaReplica.Configuration()
        replica.defaultRequestTimeout = settings.requestTimeout
        replica.pacing = settings.devices.pacing
        replica.hostKVBudgetBytes = settings.devices.hostKVBudgetBytes
        replica.tensorParallel = settings.devices.tensorParallel
        let registry = ModelRegistry(
            repository: ModelRepository(root: root), store: store,
            factory: LlamaReplicaFactory(configuration: replica, devices: devices), configuration: configuration)
        for problem in await registry.restore(actor: "startup") {
            logger.warning("desired state not restored", metadata: ["problem": "\(problem)"])
        }
        for version in versions {
            guard version.root == root else {
                throw ServeError("--model \(version.directory): not under the model repository \(root)")
            }
            do {
                try await registry.bootstrap(model: version.name, version: version.version, actor: "startup")
            } catch {
                throw ServeError("--model \(version.directory): \(error.message)")
            }
        }
        return registry
    }

    /// The admin API on its own port, behind the bearer token.
    static func startAdmin(
        _ settings: ResolvedServeSettings, registry: ModelRegistry, logger: Logger
    ) async throws -> HTTPServer {
        let (token, source) = try AdminToken.forServer(
            file: settings.registry.adminTokenFile, dataDirectory: settings.registry.dataDirectory)
        let host = settings.registry.adminHost
        let configuration = HTTPServerConfiguration(host: host, port: settings.adminPort, maxBodySize: 64 * 1024)
        let server = HTTPServer(
            configuration: configuration, handler: AdminRequestHandler(registry: registry, token: token, logger: logger), logger: logger)
        let address: SocketAddress
        do {
            address = try await server.start()
        } catch {
            throw ServeError("cannot listen on \(host):\(settings.adminPort) for the admin API: \(error)")
        }
        // stderr: stdout carries only the API's "listening" line.
        FileHandle.standardError.write(
            Data("switchyard admin API on http://\(host.contains(":") ? "[\(host)]" : host):\(address.port ?? settings.adminPort), bearer token from \(source)\n".utf8))
        return server
    }
}
