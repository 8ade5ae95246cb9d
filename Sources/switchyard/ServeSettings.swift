import DeviceSimulation
import Foundation
import InferenceEngine

/// What `switchyard serve` runs with: defaults, overridden by `--config FILE`, overridden by
/// flags. The config file is a JSON object whose keys are the flags' names:
/// `{"host": "0.0.0.0", "port": 8080, "admin-port": 8081, "model": ["Models/smollm2/1"],
///   "tls-cert": "cert.pem", "tls-key": "key.pem", "max-body-bytes": 1048576, "fleet": "1x8",
///   "device": "h200", "device-memory-utilization": 0.9, "pace": "simulated", "host-kv-budget-mib": 512,
///   "data-dir": ".switchyard", "models-dir": "Models", "routing-policy": "prefix-affinity",
///   "request-timeout": 30}`.
struct ServeSettings: Decodable {
    var host: String?
    var port: Int?
    var adminPort: Int?
    var models: [String]?
    var tlsCertificate: String?
    var tlsKey: String?
    var maxBodyBytes: Int?
    var registry = RegistrySettings()
    var devices = DeviceServeSettings()
    /// Seconds a request may wait to start when it names no timeout of its own.
    var requestTimeout: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host
        case port
        case adminPort = "admin-port"
        case models = "model"
        case tlsCertificate = "tls-cert"
        case tlsKey = "tls-key"
        case maxBodyBytes = "max-body-bytes"
        case dataDirectory = "data-dir"
        case modelsDirectory = "models-dir"
        case adminTokenFile = "admin-token-file"
        case routingPolicy = "routing-policy"
        case adminHost = "admin-host"
        case fleet
        case device
        case deviceMemoryUtilization = "device-memory-utilization"
        case pace
        case hostKVBudgetMiB = "host-kv-budget-mib"
        case tensorParallel = "tensor-parallel"
        case requestTimeout = "request-timeout"
    }

    init(
        host: String? = nil, port: Int? = nil, adminPort: Int? = nil, models: [String]? = nil, tlsCertificate: String? = nil,
        tlsKey: String? = nil, maxBodyBytes: Int? = nil, registry: RegistrySettings = RegistrySettings(),
        devices: DeviceServeSettings = DeviceServeSettings(), requestTimeout: Double? = nil
    ) {
        self.host = host
        self.port = port
        self.adminPort = adminPort
        self.models = models
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.maxBodyBytes = maxBodyBytes
        self.registry = registry
        self.devices = devices
        self.requestTimeout = requestTimeout
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.host = try container.decodeIfPresent(String.self, forKey: .host)
        self.port = try container.decodeIfPresent(Int.self, forKey: .port)
        self.adminPort = try container.decodeIfPresent(Int.self, forKey: .adminPort)
        self.models = try container.decodeIfPresent([String].self, forKey: .models)
        self.tlsCertificate = try container.decodeIfPresent(String.self, forKey: .tlsCertificate)
        self.tlsKey = try container.decodeIfPresent(String.self, forKey: .tlsKey)
        self.maxBodyBytes = try container.decodeIfPresent(Int.self, forKey: .maxBodyBytes)
        self.registry = RegistrySettings(
            dataDirectory: try container.decodeIfPresent(String.self, forKey: .dataDirectory),
            modelsDirectory: try container.decodeIfPresent(String.self, forKey: .modelsDirectory),
            adminTokenFile: try container.decodeIfPresent(String.self, forKey: .adminTokenFile),
            routingPolicy: try container.decodeIfPresent(String.self, forKey: .routingPolicy),
            adminHost: try container.decodeIfPresent(String.self, forKey: .adminHost))
        self.devices = DeviceServeSettings(
            fleet: try container.decodeIfPresent(String.self, forKey: .fleet),
            device: try container.decodeIfPresent(String.self, forKey: .device),
            deviceMemoryUtilization: try container.decodeIfPresent(Double.self, forKey: .deviceMemoryUtilization),
            pace: try container.decodeIfPresent(String.self, forKey: .pace),
            hostKVBudgetMiB: try container.decodeIfPresent(Int.self, forKey: .hostKVBudgetMiB),
            tensorParallel: try container.decodeIfPresent(Int.self, forKey: .tensorParallel))
        self.requestTimeout = try container.decodeIfPresent(Double.self, forKey: .requestTimeout)
    }

    static let defaultHost = "127.0.0.1"
    static let defaultPort = 8080
    static let defaultAdminPort = 8081
    static let defaultMaxBodyBytes = 1024 * 1024
    static let maxBodyBytesLimit = 64 * 1024 * 1024
    static let defaultRequestTimeout: Double = 30
    static let maxRequestTimeout: Double = 86_400

    /// Reads a config file; unknown keys are refused so a typo never goes unnoticed.
    static func load(path: String) throws -> ServeSettings {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ServeError("cannot read config file \(path)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ServeError("config file \(path) is not a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServeError("config file \(path): unknown setting '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        do {
            return try JSONDecoder().decode(ServeSettings.self, from: data)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let key = context.codingPath.first?.stringValue ?? "?"
            throw ServeError("config file \(path): '\(key)' has the wrong type")
        } catch {
            throw ServeError("config file \(path) cannot be read as settings")
        }
    }

    /// `self` (the flags) over `base` (the config file).
    func overriding(_ base: ServeSettings) -> ServeSettings {
        ServeSettings(
            host: self.host ?? base.host,
            port: self.port ?? base.port,
            adminPort: self.adminPort ?? base.adminPort,
            models: (self.models?.isEmpty ?? true) ? base.models : self.models,
            tlsCertificate: self.tlsCertificate ?? base.tlsCertificate,
            tlsKey: self.tlsKey ?? base.tlsKey,
            maxBodyBytes: self.maxBodyBytes ?? base.maxBodyBytes,
            registry: self.registry.overriding(base.registry),
            devices: self.devices.overriding(base.devices),
            requestTimeout: self.requestTimeout ?? base.requestTimeout)
    }
}

/// Settings with defaults filled in and every value checked.
struct ResolvedServeSettings {
    var host: String
    var port: Int
    var adminPort: Int
    var models: [String]
    var tls: (certificate: String, key: String)?
    var maxBodyBytes: Int
    var registry: ResolvedRegistrySettings
    /// The simulated devices replicas are pinned to; nil: no device (no device time, no pacing).
    var devices: ResolvedDeviceSettings
    var requestTimeout: Duration

    init(_ settings: ServeSettings) throws {
        self.registry = try ResolvedRegistrySettings(settings.registry)
        self.host = settings.host ?? ServeSettings.defaultHost
        guard !self.host.isEmpty else { throw ServeError("--host must not be empty") }
        self.port = settings.port ?? ServeSettings.defaultPort
        guard (0...65535).contains(self.port) else { throw ServeError("--port must be 0...65535 (0 picks a free port), got \(self.port)") }
        self.adminPort = settings.adminPort ?? ServeSettings.defaultAdminPort
        guard (0...65535).contains(self.adminPort) else { throw ServeError("--admin-port must be 0...65535, got \(self.adminPort)") }
        guard self.adminPort == 0 || self.adminPort != self.port else {
            throw ServeError("--admin-port must differ from --port (both are \(self.port))")
        }
        self.models = settings.models ?? []
        self.maxBodyBytes = settings.maxBodyBytes ?? ServeSettings.defaultMaxBodyBytes
        guard (1...ServeSettings.maxBodyBytesLimit).contains(self.maxBodyBytes) else {
            throw ServeError("--max-body-bytes must be 1...\(ServeSettings.maxBodyBytesLimit), got \(self.maxBodyBytes)")
        }
        let timeout = settings.requestTimeout ?? ServeSettings.defaultRequestTimeout
        guard timeout.isFinite, timeout > 0, timeout <= ServeSettings.maxRequestTimeout else {
            throw ServeError("--request-timeout must be above 0 and at most \(Int(ServeSettings.maxRequestTimeout)) seconds, got \(timeout)")
        }
        self.requestTimeout = .milliseconds(Int64((timeout * 1000).rounded(.up)))
        switch (settings.tlsCertificate, settings.tlsKey) {
        case (nil, nil): self.tls = nil
        case (let certificate?, let key?):
            for (flag, path) in [("--tls-cert", certificate), ("--tls-key", key)] where !FileManager.default.isReadableFile(atPath: path) {
                throw ServeError("\(flag) \(path): no readable file there")
            }
            self.tls = (certificate, key)
        default: throw ServeError("--tls-cert and --tls-key go together")
        }
        self.devices = try ResolvedDeviceSettings(settings.devices)
    }
}

/// A one-line reason `serve` cannot start, printed as `switchyard: <message>`.
struct ServeError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
