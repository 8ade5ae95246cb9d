import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import Synchronization

/// The models a gateway serves: each model's versions, their lifecycle states, replicas and
/// traffic weights. Requests resolve through it (`engine(for:)`); operators change it through
/// the lifecycle operations (load, validate, canary, promote, rollback, retire). The desired
/// state and every lifecycle step's audit record go to `store`.
public final class ModelRegistry: Sendable {
    public struct Configuration: Sendable {
        /// The policy of models not named in `policies`.
        public var defaultPolicy: RoutingPolicy = .leastOutstandingTokens
        public var policies: [String: RoutingPolicy] = [:]
        public var autoRollback = AutoRollbackPolicy()
        /// Consecutive failures that take a replica out of rotation.
        public var failureThreshold = 3
        /// How long a failing replica stays out before it is tried again.
        public var ejectionInterval: Duration = .seconds(5)
        /// A replica with work whose step count has not moved for this long has stalled.
        public var stallTimeout: Duration = .seconds(30)
        /// The validation smoke check's bound on time to first token.
        public var smokeTimeToFirstTokenLimit: Duration = .seconds(30)

        public init() {}

        func policy(for model: String) -> RoutingPolicy { self.policies[model] ?? self.defaultPolicy }
    }

    public let repository: ModelRepository
    public let store: RegistryStore
    public let configuration: Configuration
    let factory: any ReplicaFactory
    let state: Mutex<State>

    public init(
        repository: ModelRepository, store: RegistryStore, factory: any ReplicaFactory,
        configuration: Configuration = Configuration()
    ) {
        self.repository = repository
        self.store = store
        self.factory = factory
        self.configuration = configuration
        self.state = Mutex(State())
    }

    /// The devices' memory as of now: the one ledger the factory pins every replica through
    /// (nil for a factory that pins none).
    public func deviceReport() -> FleetReport? {
        self.factory.devices?.report()
    }

    /// Everything the registry holds, models and versions sorted by name.
    public func list() -> [VersionStatus] {
        self.state.withLock { state in
            state.models.keys.sorted().flatMap { name in
                let model = state.models[name]!
                return model.versions.keys.sorted().map { model.versions[$0]!.status(model: name, version: $0) }
            }
        }
    }

    /// Names of models with a version taking weighted traffic.
    public var servedModelNames: [String] {
        self.state.withLock { state in
            state.models.keys.sorted().filter { name in
                state.models[name]!.versions.values.contains { $0.state == .stable || $0.state == .canary }
            }
        }
    }

    /// Every loaded replica of every version, by model, version and slot: what metrics and
    /// the operator page report on.
    public var loadedReplicas: [any TextGenerationEngine] {
        self.state.withLock { state in
            state.models.keys.sorted().flatMap { name in
                let model = state.models[name]!
                return model.versions.keys.sorted().flatMap { model.versions[$0]!.replicas.map { $0.replica as any TextGenerationEngine } }
            }
        }
    }

    public func audit(model: String? = nil, limit: Int = 1000) throws(RegistryError) -> [AuditRecord] {
        try self.store.audit(model: model, limit: limit)
    }
}

/// A version as the admin API lists it.
public struct VersionStatus: Sendable, Equatable, Codable {
    public struct Replica: Sendable, Equatable, Codable {
        public var id: String
        public var healthy: Bool
        public var inFlight: Int
        public var outstandingTokens: Int
        public var running: Int
        public var waiting: Int
        public var usedBlocks: Int
        public var totalBlocks: Int
        public var served: Int
        public var failures: Int
        /// Fraction of full prompt blocks the replica's prefix cache held at admission.
        public var prefixCacheHitRate: Double
    }

    public var model: String
    public var version: String
    public var state: VersionState
    public var weight: Double
    public var inFlight: Int
    public var replicas: [Replica]
    /// Replicas asked for: more than `replicas` holds while a replacement left it short
    /// (the rest load as memory frees).
    public var desiredReplicas: Int
    public var validation: ValidationReport?
}

extension ModelRegistry {
    struct State: Sendable {
        var models: [String: ModelEntry] = [:]
    }

    struct ModelEntry: Sendable {
        var versions: [String: VersionEntry] = [:]
        /// The lifecycle operation running now; a second one is a conflict.
        var operation: String?
        /// States and weights before the last canary or promotion, for rollback.
        var previous: [String: WeightedState]?

        var weighted: [String: WeightedState] {
            self.versions.mapValues { WeightedState(state: $0.state, weight: $0.weight) }
        }
    }

    struct WeightedState: Sendable, Equatable {
        var state: VersionState
        var weight: Double
    }

    struct VersionEntry: Sendable {
        var manifest: ModelManifest
        var state: VersionState
        /// Replicas asked for; `replicas` holds fewer while a replacement left it short.
        var desiredReplicas: Int
        var weight: Double = 0
        var replicas: [ReplicaSlot] = []
        /// Resolved engines alive plus generations running: drain waits for zero.
        var holds = 0
        var window = CanaryWindow()
        var validation: ValidationReport?

        func status(model: String, version: String) -> VersionStatus {
            VersionStatus(
                model: model, version: version, state: self.state, weight: self.weight, inFlight: self.holds,
                replicas: self.replicas.map { slot in
                    let load = slot.replica.load
                    return VersionStatus.Replica(
                        id: slot.id, healthy: slot.isInRotation(at: .now), inFlight: slot.inFlight,
                        outstandingTokens: slot.outstandingTokens, running: load.running, waiting: load.waiting,
                        usedBlocks: load.usedBlocks, totalBlocks: load.totalBlocks, served: slot.served,
                        failures: slot.failures, prefixCacheHitRate: load.prefixCacheHitRate)
                },
                desiredReplicas: self.desiredReplicas,
                validation: self.validation)
        }
    }

    struct ReplicaSlot: Sendable {
        let id: String
        let replica: any RoutableReplica
        var outstandingTokens = 0
        var inFlight = 0
        var served = 0
        var failures = 0
        var consecutiveFailures = 0
        var ejectedUntil: ContinuousClock.Instant?
        var stalled = false
        var lastSteps = 0
        var lastProgress: ContinuousClock.Instant = .now
        /// Share of requests made to fail (fault injection), and the running credit that
        /// turns the share into a deterministic pattern.
        var faultRate = 0.0
        var faultCredit = 0.0

        /// Being replaced by a replica of another version: it takes no new request and
        /// unloads once those it holds have finished.
        var draining = false

        func isInRotation(at now: ContinuousClock.Instant) -> Bool {
            !self.stalled && (self.ejectedUntil.map { now >= $0 } ?? true)
        }

        /// Whether the router may send it a new request.
        func takesRequests(at now: ContinuousClock.Instant) -> Bool {
            !self.draining && self.isInRotation(at: now)
        }
    }
}
