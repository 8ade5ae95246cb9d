import DeviceSimulation
import Foundation
import Synchronization

/// The fleet a serving process pins its replicas to: placement on the simulated devices, each
/// replica's ledger entry, and the KV its block pool really uses, for `switchyard serve`'s
/// device report and `GET /admin/devices`.
public final class DeviceFleet: Sendable {
    /// A pinned replica and how to read its live statistics.
    struct Pinned: Sendable {
        var device: ReplicaDevice
        var statistics: (@Sendable () -> ReplicaStatistics)?
    }

    struct State: Sendable {
        var fleet: Fleet
        var pinned: [String: Pinned] = [:]
    }

    private let state: Mutex<State>

    public init(fleet: Fleet) {
        self.state = Mutex(State(fleet: fleet))
    }

    /// Pins a replica named `name` (unique in the fleet): placed by the fleet's best fit, its
    /// KV reserve all the memory its devices have left, at most `kvTokenLimit` tokens (what the
    /// replica will really hold), unless `kvReserveTokens` says otherwise.
    public func pin(
        _ name: String, profile: ModelProfile, tensorParallel: Int = 1, kvReserveTokens: Int? = nil,
        kvTokenLimit: Int? = nil, maxBatchTokens: Int = ReplicaRequest.defaultMaxBatchTokens
    ) throws(DeviceSimulationError) -> ReplicaDevice {
        var request = ReplicaRequest(
            name: name, profile: profile, tensorParallel: tensorParallel, kvReserveTokens: 0, maxBatchTokens: maxBatchTokens)
        let result: Result<ReplicaDevice, DeviceSimulationError> = self.state.withLock { state in
            do throws(DeviceSimulationError) {
                if let kvReserveTokens {
                    request.kvReserveTokens = kvReserveTokens
                } else {
                    request.kvReserveTokens = min(try state.fleet.kvTokensLeft(for: request), max(kvTokenLimit ?? .max, 0))
                }
                let placement = try state.fleet.place(request)
                let device = ReplicaDevice(spec: state.fleet.device, placement: placement, profile: profile)
                state.pinned[name] = Pinned(device: device)
                return .success(device)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Connects a pinned replica's live statistics, so the report shows the KV it uses.
    public func attach(_ name: String, statistics: @escaping @Sendable () -> ReplicaStatistics) {
        self.state.withLock { $0.pinned[name]?.statistics = statistics }
    }

    /// The fleet's shape, device model and commit limit.
    public var shape: (fleet: FleetShape, device: DeviceSpec, utilizationLimit: Double) {
        self.state.withLock { ($0.fleet.shape, $0.fleet.device, $0.fleet.utilizationLimit) }
    }

    /// Names of the replicas pinned now.
    public var pinnedReplicas: [String] {
        self.state.withLock { $0.fleet.placements.map(\.replica) }
    }

    /// Unpins a replica and frees its devices' memory.
    public func unpin(_ name: String) throws(DeviceSimulationError) {
        let result: Result<Void, DeviceSimulationError> = self.state.withLock { state in
            do throws(DeviceSimulationError) {
                try state.fleet.unload(replica: name)
                state.pinned[name] = nil
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Every device's ledger, with each replica's KV in use read from its block pool now
    /// (blocks referenced × tokens per block × the device's KV bytes per token).
    public func report() -> FleetReport {
        // Statistics are read outside the fleet's lock: each takes its replica's own lock.
        let readers = self.state.withLock { state in state.pinned.map { ($0.key, $0.value) } }
        let inUse = readers.compactMap { name, pinned -> (String, Int)? in
            guard let statistics = pinned.statistics?() else { return nil }
            return (name, statistics.usedBlocks * StepDriver.blockSize * pinned.device.kvBytesPerTokenPerDevice)
        }
        return self.state.withLock { state in
            // Only a replica the fleet no longer holds is refused; it has nothing to show.
            for (name, bytes) in inUse { try? state.fleet.recordKVInUse(replica: name, bytesPerDevice: bytes) }
            return state.fleet.report()
        }
    }

    /// The report as JSON (sorted keys), the body of `GET /admin/devices`.
    public func reportJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // The report holds only numbers and strings, so encoding cannot fail.
        let data = (try? encoder.encode(self.report())) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
