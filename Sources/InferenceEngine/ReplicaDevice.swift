import DeviceSimulation
import GatewayCore

/// The simulated device (or TP group) a replica is pinned to: where placement put it, what
/// its HBM ledger granted it, and the cost model that times its iterations.
public struct ReplicaDevice: Sendable {
    public let spec: DeviceSpec
    public let placement: Placement
    public let costModel: CostModel

    public init(spec: DeviceSpec, placement: Placement, profile: ModelProfile, fractions: AchievedFractions = .calibrated) {
        self.spec = spec
        self.placement = placement
        self.costModel = CostModel(
            profile: profile, device: spec, tensorParallel: placement.tensorParallel, fractions: fractions)
    }

    /// KV bytes one token takes on each device of the group (its share of the KV heads).
    public var kvBytesPerTokenPerDevice: Int {
        let profile = self.costModel.profile
        return profile.layers * 2 * profile.kvHeadsPerDevice(tensorParallel: self.placement.tensorParallel)
            * profile.headSize * profile.kvFormat.bytesPerElement
    }

    /// Tokens of KV the ledger granted the replica.
    public var kvTokenShare: Int {
        self.placement.perDevice.kvBytes / max(self.kvBytesPerTokenPerDevice, 1)
    }

    /// An execution record with no iterations yet.
    public var emptySummary: ExecutionSummary {
        ExecutionSummary(deviceModel: self.spec.name, devices: self.placement.devices.map(\.description))
    }
}
