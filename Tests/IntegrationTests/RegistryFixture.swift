import DeviceSimulation
import Foundation
import GatewayAPI
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import ReplicaRouting
import TestSupport
import Testing

/// A model repository of SmolLM2 versions in a temporary directory (every version's weights a
/// link to the real GGUF), a registry over it, and the API and admin servers on loopback.
final class RegistryFixture: @unchecked Sendable {
    // @unchecked Sendable: every stored property is set once in init and then only read.
    static let token = "test-admin-token"
    static let realDirectory = ProcessRunner.packageRoot.appendingPathComponent("Models/smollm2/1").path

    let root: String
    let registry: ModelRegistry
    let api: HTTPServer
    let admin: HTTPServer
    let apiPort: Int
    let adminPort: Int
    /// Traces of the API's requests (`GET /v1/traces/{request_id}`).
    let traces: TraceStore

    init(
        fleet: Fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 2)),
        configure: (inout ModelRegistry.Configuration) -> Void = { _ in }
    ) async throws {
        self.root = FileManager.default.temporaryDirectory.appendingPathComponent("swap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        var configuration = ModelRegistry.Configuration()
        configure(&configuration)
        var replica = LlamaReplica.Configuration()
        // Pinned replicas' pools are their ledger share under the host cap: ~5,000 tokens here.
        replica.hostKVBudgetBytes = 64 << 20
        self.registry = ModelRegistry(
            repository: ModelRepository(root: self.root), store: try RegistryStore(path: self.root + "/registry.sqlite"),
            factory: LlamaReplicaFactory(configuration: replica, threadsPerReplica: 1, devices: DeviceFleet(fleet: fleet)),
            configuration: configuration)
        self.traces = try TraceStore(directory: self.root + "/traces")
        let api = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: OpenAIRequestHandler(
                models: RoutedModels(self.registry, fallback: []), logger: Logger(label: "test.api"),
                telemetry: Telemetry(store: self.traces)),
            logger: Logger(label: "test.server"))
        let admin = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: AdminRequestHandler(registry: self.registry, token: Self.token, logger: Logger(label: "test.admin")),
            logger: Logger(label: "test.server"))
        self.api = api
        self.admin = admin
        self.apiPort = try #require(try await api.start().port)
        self.adminPort = try #require(try await admin.start().port)
    }

    func shutdown() async {
        await self.api.shutdown()
        await self.admin.shutdown()
        try? self.traces.close()
        try? FileManager.default.removeItem(atPath: self.root)
    }

    /// Writes `smollm2/VERSION/manifest.json` from the real manifest, with `changes` applied
    /// (`golden_prompts`, `sha256`, `weights`).
    func addVersion(_ version: String, changes: [String: Any] = [:], linkWeights: Bool = true) throws {
        let directory = self.root + "/smollm2/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.realDirectory + "/manifest.json"))
        var manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        manifest["version"] = version
        for (key, value) in changes { manifest[key] = value }
        if linkWeights, let weights = manifest["weights"] as? String {
            let real = URL(fileURLWithPath: Self.realDirectory + "/" + "SmolLM2-135M-Instruct.Q4_1.gguf").resolvingSymlinksInPath().path
            try? FileManager.default.createSymbolicLink(atPath: directory + "/" + weights, withDestinationPath: real)
        }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
    }

    /// One admin request with curl: the status and the JSON body.
    func admin(_ method: String, _ path: String, body: String? = nil, token: String? = RegistryFixture.token) async throws -> (Int, [String: Any]) {
        var arguments = ["-sS", "--max-time", "300", "-X", method, "-w", "\n%{http_code}", "http://127.0.0.1:\(self.adminPort)\(path)"]
        if let token { arguments += ["-H", "authorization: Bearer \(token)"] }
        if let body { arguments += ["-H", "content-type: application/json", "-d", body] }
        let result = try await ProcessRunner.run("/usr/bin/curl", arguments, timeoutSeconds: 320)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let json = lines.dropLast().joined(separator: "\n")
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        return (status, object)
    }

    /// Each version's state and weight, as the admin API lists them.
    func states() async throws -> [String: String] {
        let (_, object) = try await self.admin("GET", "/admin/models")
        var states: [String: String] = [:]
        for version in object["versions"] as? [[String: Any]] ?? [] {
            states["\(version["version"] ?? "?")"] = "\(version["state"] ?? "?") \(version["weight"] ?? "?")"
        }
        return states
    }
}
