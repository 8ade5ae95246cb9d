import DeviceSimulation
import InferenceEngine

/// The serve settings of the simulated devices replicas are pinned to (`--fleet` and the
/// flags that need it).
struct DeviceServeSettings {
    var fleet: String?
    var device: String?
    var deviceMemoryUtilization: Double?
    var pace: String?
    var hostKVBudgetMiB: Int?

    func overriding(_ base: DeviceServeSettings) -> DeviceServeSettings {
        DeviceServeSettings(
            fleet: self.fleet ?? base.fleet,
            device: self.device ?? base.device,
            deviceMemoryUtilization: self.deviceMemoryUtilization ?? base.deviceMemoryUtilization,
            pace: self.pace ?? base.pace,
            hostKVBudgetMiB: self.hostKVBudgetMiB ?? base.hostKVBudgetMiB)
    }
}

struct ResolvedDeviceSettings {
    var fleet: FleetShape
    var device: DeviceSpec
    var utilization: Double
    var pacing: ReplicaPacing
    var hostKVBudgetBytes: Int

    /// Pinning is on when `--fleet` is given; the other device flags need it.
    init?(_ settings: DeviceServeSettings) throws {
        guard let fleetText = settings.fleet else {
            let stray = [("--device", settings.device != nil), ("--device-memory-utilization", settings.deviceMemoryUtilization != nil),
                ("--pace", settings.pace != nil), ("--host-kv-budget-mib", settings.hostKVBudgetMiB != nil)]
            if let flag = stray.first(where: \.1)?.0 { throw ServeError("\(flag) needs --fleet (the devices to pin replicas to)") }
            return nil
        }
        let fleet: FleetShape
        let device: DeviceSpec
        do {
            fleet = try FleetShape(parsing: fleetText)
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
        self.fleet = fleet
        self.device = device
        self.utilization = utilization
        self.pacing = pacing
        self.hostKVBudgetBytes = budget << 20
    }
}
