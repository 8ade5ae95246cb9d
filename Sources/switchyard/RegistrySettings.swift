import Foundation
import ReplicaRouting

/// The serve settings of the model registry and the admin API: where state and the admin
/// token live, where the model repository is, how requests pick replicas.
struct RegistrySettings {
    var dataDirectory: String?
    var modelsDirectory: String?
    var adminTokenFile: String?
    var routingPolicy: String?
    var adminHost: String?

    static let defaultDataDirectory = ".switchyard"
    static let defaultModelsDirectory = "Models"

    func overriding(_ base: RegistrySettings) -> RegistrySettings {
        RegistrySettings(
            dataDirectory: self.dataDirectory ?? base.dataDirectory,
            modelsDirectory: self.modelsDirectory ?? base.modelsDirectory,
            adminTokenFile: self.adminTokenFile ?? base.adminTokenFile,
            routingPolicy: self.routingPolicy ?? base.routingPolicy,
            adminHost: self.adminHost ?? base.adminHost)
    }
}

struct ResolvedRegistrySettings {
    var dataDirectory: String
    var modelsDirectory: String
    /// Set only when given: otherwise the first `--model`'s repository is used.
    var modelsDirectoryFlag: String?
    var adminTokenFile: String?
    var routingPolicy: RoutingPolicy
    /// Loopback unless asked otherwise, whatever `--host` says: the admin API changes
    /// what the gateway serves.
    var adminHost: String

    init(_ settings: RegistrySettings) throws {
        self.adminHost = settings.adminHost ?? "127.0.0.1"
        guard !self.adminHost.isEmpty else { throw ServeError("--admin-host must not be empty") }
        self.dataDirectory = settings.dataDirectory ?? RegistrySettings.defaultDataDirectory
        guard !self.dataDirectory.isEmpty else { throw ServeError("--data-dir must not be empty") }
        self.modelsDirectory = settings.modelsDirectory ?? RegistrySettings.defaultModelsDirectory
        self.modelsDirectoryFlag = settings.modelsDirectory
        self.adminTokenFile = settings.adminTokenFile
        let policy = settings.routingPolicy ?? RoutingPolicy.leastOutstandingTokens.description
        guard let parsed = RoutingPolicy(parsing: policy) else {
            throw ServeError("--routing-policy must be least-outstanding-tokens, power-of-two or prefix-affinity, got '\(policy)'")
        }
        self.routingPolicy = parsed
    }
}
