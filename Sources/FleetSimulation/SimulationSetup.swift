import DeviceSimulation
import GatewayCore
import InferenceEngine
import ReplicaRouting

/// What `switchyard simulate` runs: a fleet, one model profile replicated over it at a TP
/// degree, and each replica's scheduler limits.
public struct SimulationSetup: Sendable {
    public var device: DeviceSpec = .h200SXM
    public var fleet: FleetShape
    public var profile: ModelProfile
    public var tensorParallel = 1
    /// Share of each device's HBM that may be committed.
    public var utilization = Fleet.defaultUtilizationLimit
    /// KV tokens each replica reserves; nil: all the HBM its devices have left (vLLM's way).
    public var kvTokensPerReplica: Int?
    /// Replicas to place; nil: as many as the fleet holds (devices / TP).
    public var replicas: Int?
    /// Scheduler limits per replica (vLLM's defaults on large GPUs with chunked prefill).
    public var maxNumSeqs = 256
    public var maxBatchedTokens = 8_192
    /// How long a request may wait to start before admission refuses it (429).
    public var deadline: Duration = .seconds(30)
    public var fractions = AchievedFractions.calibrated
    /// How each arrival picks its replica: ReplicaRouting's policies, as `serve` routes.
    public var routingPolicy: RoutingPolicy = .leastOutstandingTokens
    /// Keep every step's shape in the result (for the replay test).
    public var recordSteps = false

    public init(fleet: FleetShape, profile: ModelProfile) {
        self.fleet = fleet
        self.profile = profile
    }

    /// KV bytes one token takes on each device of a TP group.
    var kvBytesPerTokenPerDevice: Int {
        self.profile.layers * 2 * self.profile.kvHeadsPerDevice(tensorParallel: self.tensorParallel) * self.profile.headSize
            * self.profile.kvFormat.bytesPerElement
    }

    /// Places the replicas: the first with no KV checks that the model fits a device at this
    /// TP degree at all (so the error names what is short), then each gets its KV share.
    public func place() throws(SimulationError) -> (fleet: Fleet, devices: [ReplicaDevice], kvTokens: Int) {
        guard self.utilization > 0, self.utilization <= 1 else {
            throw SimulationError("device memory utilization must be in (0, 1], got \(self.utilization)")
        }
        guard self.tensorParallel >= 1 else { throw SimulationError("--tp must be at least 1, got \(self.tensorParallel)") }
        func request(_ index: Int, kvTokens: Int) -> ReplicaRequest {
            ReplicaRequest(
                name: "\(self.profile.name)#\(index)", profile: self.profile, tensorParallel: self.tensorParallel,
                kvReserveTokens: kvTokens, maxBatchTokens: self.maxBatchedTokens)
        }
        var probe = Fleet(device: self.device, shape: self.fleet, utilizationLimit: self.utilization)
        let bare: Placement
        do {
            bare = try probe.place(request(0, kvTokens: 0))
        } catch {
            throw SimulationError(error.message)
        }
        let left = probe.ledger(for: bare.devices[0])?.freeBytes ?? 0
        let kvTokens = self.kvTokensPerReplica ?? left / max(self.kvBytesPerTokenPerDevice, 1)
        guard kvTokens >= self.maxBatchedTokens else {
            throw SimulationError(
                "\(self.profile.label) tp\(self.tensorParallel) leaves room for \(kvTokens) KV tokens per replica on an \(self.device.name) at utilization \(self.utilization); at least \(self.maxBatchedTokens) (one full step) are needed")
        }
        let wanted = self.replicas ?? self.fleet.nodes * (self.fleet.devicesPerNode / self.tensorParallel)
        var fleet = Fleet(device: self.device, shape: self.fleet, utilizationLimit: self.utilization)
        var devices: [ReplicaDevice] = []
        for index in 0..<max(wanted, 1) {
            do {
                let placement = try fleet.place(request(index, kvTokens: kvTokens))
                devices.append(ReplicaDevice(spec: self.device, placement: placement, profile: self.profile, fractions: self.fractions))
            } catch {
                // The fleet is full: run with what was placed, unless a count was asked for.
                if self.replicas != nil || devices.isEmpty { throw SimulationError(error.message) }
                break
            }
        }
        return (fleet, devices, kvTokens)
    }
}
