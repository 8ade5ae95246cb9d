import BatchScheduling
import Foundation
import GatewayCore
import InferenceEngine

/// What the router needs of a replica beyond generating: its load as of now, the prompt's
/// token ids (to hash for prefix affinity) and what its prefix cache holds.
public protocol RoutableReplica: TextGenerationEngine {
    var load: ReplicaLoad { get }
    /// The block hashes its prefix cache holds, as published by its step loop: cheap to
    /// read from any thread.
    var prefixCache: PrefixCacheView { get }
    /// Tokens per KV block, the unit of prefix-cache hits.
    var blockSize: Int { get }
    func promptTokenIDs(_ prompt: Prompt) throws -> [Int32]
}

/// A replica's scheduler figures the power-of-two-choices policy weighs.
public struct ReplicaLoad: Sendable, Equatable {
    public var running: Int
    public var waiting: Int
    public var usedBlocks: Int
    public var totalBlocks: Int
    /// Iterations since start; a replica with work whose count stops moving has stalled.
    public var steps: Int
    public var prefixCacheHitRate: Double

    public init(running: Int = 0, waiting: Int = 0, usedBlocks: Int = 0, totalBlocks: Int = 0, steps: Int = 0, prefixCacheHitRate: Double = 0) {
        self.running = running
        self.waiting = waiting
        self.usedBlocks = usedBlocks
        self.totalBlocks = totalBlocks
        self.steps = steps
        self.prefixCacheHitRate = prefixCacheHitRate
    }

    /// Fraction of KV blocks in use, 0 when the replica reports none.
    public var kvUsage: Double {
        self.totalBlocks > 0 ? Double(self.usedBlocks) / Double(self.totalBlocks) : 0
    }

    public var hasWork: Bool { self.running + self.waiting > 0 }
}

extension LlamaReplica: RoutableReplica {
    public var load: ReplicaLoad {
        let statistics = self.statistics
        return ReplicaLoad(
            running: statistics.running, waiting: statistics.waiting, usedBlocks: statistics.usedBlocks,
            totalBlocks: statistics.totalBlocks, steps: statistics.steps,
            prefixCacheHitRate: statistics.prefixCacheHitRate)
    }

    public var blockSize: Int { 16 }
}

/// Makes a version's replicas. The registry calls it once per replica, with the replica's
/// id (`smollm2@2#0`), and releases each id when the version unloads.
public protocol ReplicaFactory: Sendable {
    func makeReplica(manifest: ModelManifest, index: Int, id: String) throws -> any RoutableReplica
    /// Gives back what `makeReplica` took for `id` outside the replica (its simulated devices).
    func releaseReplica(id: String)
    /// The simulated devices the factory pins replicas to, when it pins them.
    var devices: DeviceFleet? { get }
}

extension ReplicaFactory {
    public func releaseReplica(id: String) {}
    public var devices: DeviceFleet? { nil }
}

/// Replicas on the CPU. Without an explicit thread count each replica gets an equal share
/// of the cores: the version's replica count divides them. With `devices`, each replica is
/// pinned to simulated devices first and its KV pool is its ledger share under the host cap
/// (`configuration.hostKVBudgetBytes`); `configuration.pacing` applies to it.
public struct LlamaReplicaFactory: ReplicaFactory {
    public var configuration: LlamaReplica.Configuration
    public var threadsPerReplica: Int?
    public let devices: DeviceFleet?

    public init(
        configuration: LlamaReplica.Configuration = LlamaReplica.Configuration(), threadsPerReplica: Int? = nil,
        devices: DeviceFleet? = nil
    ) {
        self.configuration = configuration
        self.threadsPerReplica = threadsPerReplica
        self.devices = devices
    }

    public func makeReplica(manifest: ModelManifest, index: Int, id: String) throws -> any RoutableReplica {
        var configuration = self.configuration
        configuration.threads = self.threadsPerReplica ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, manifest.replicas))
        configuration.replicaID = id
        guard let devices = self.devices else { return try LlamaReplica(manifest: manifest, configuration: configuration) }
        configuration.device = try devices.pin(id, manifest: manifest, configuration: configuration)
        do {
            let replica = try LlamaReplica(manifest: manifest, configuration: configuration)
            devices.attach(id) { [replica] in replica.statistics }
            return replica
        } catch {
            try? devices.unpin(id)
            throw error
        }
    }

    public func releaseReplica(id: String) {
        try? self.devices?.unpin(id)
    }
}
