import DeviceSimulation
import InferenceEngine

/// The serve settings of the simulated devices every replica is pinned to (`--fleet`, one
/// H200 by default, and the flags that shape the pinning).
struct DeviceServeSettings {
    var fleet: String?
    var device: String?
    var deviceMemoryUtilization: Double?
    var pace: String?
    var hostKVBudgetMiB: Int?
    var tensorParallel: Int?

    func overriding(_ base: DeviceServeSettings) -> DeviceServeSettings {
        DeviceServeSettings(
            fleet: self.fleet ?? base.fleet,
            device: self.device ?? base.device,
            deviceMemoryUtilization: self.deviceMemoryUtilization ?? base.deviceMemoryUtilization,
            pace: self.pace ?? base.pace,
            hostKVBudgetMiB: self.hostKVBudgetMiB ?? base.hostKVBudgetMiB,
            tensorParallel: self.tensorParallel ?? base.tensorParallel)
    }
}

struct ResolvedDeviceSettings {
    /// Without `--fleet` a serving process is one H200: what one CPU process stands in for.
    static let defaultFleet = "1x1"

    var fleet: FleetShape
    var device: DeviceSpec
    var utilization: Double
    var pacing: ReplicaPacing
    var hostKVBudgetBytes: Int
    var tensorParallel: Int

    init(_ settings: DeviceServeSettings) throws {
        let fleet: FleetShape
        let device: DeviceSpec
        do {
            fleet = try FleetShape(parsing: settings.fleet ?? Self.defaultFleet)
            device = try DeviceSpec.named(settings.device ?? "h200")
        } catch {
            throw ServeError(error.message)
        }
        let utilization = settings.deviceMemoryUtilization ?? Fleet.defaultUtilizationLimit
        guard utilization > 0, utilization <= 1 else {
            throw ServeError("--device-memory-utilization must be in (0, 1], got \(utilization)")
        }
        guard let pacing = ReplicaPacing(rawValue: settings.pace ?? "none") else {
            throw ServeError("--pace must be none or simulated, got '\(settings.pace ?? "")'")
        }
        let budget = settings.hostKVBudgetMiB ?? 512
        guard (1...(1 << 20)).contains(budget) else { throw ServeError("--host-kv-budget-mib must be 1...\(1 << 20), got \(budget)") }
        let tensorParallel = settings.tensorParallel ?? 1
        guard (1...fleet.devicesPerNode).contains(tensorParallel) else {
            throw ServeError(
                "--tensor-parallel \(tensorParallel) must be in 1...\(fleet.devicesPerNode), the devices of one node of fleet \(fleet) (a TP group stays inside a node; e.g. --fleet 1x8)")
        }
        self.fleet = fleet
        self.device = device
        self.utilization = utilization
        self.pacing = pacing
        self.hostKVBudgetBytes = budget << 20
        self.tensorParallel = tensorParallel
    }
}
