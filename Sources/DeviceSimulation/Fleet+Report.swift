/// One device as `switchyard devices` and `GET /admin/devices` show it.
public struct DeviceReport: Sendable, Hashable, Codable {
    public var device: String
    public var node: Int
    public var index: Int
    public var replicas: [String]
    public var capacityBytes: Int
    public var usableBytes: Int
    public var weightBytes: Int
    /// KV reserved by the replicas' ledgers, and the part their block pools use now.
    public var kvBytes: Int
    public var kvInUseBytes: Int
    public var reserveBytes: Int
    public var freeBytes: Int
    /// Committed bytes over the capacity.
    public var committedFraction: Double
    /// Bytes in use now (weights, reserve, KV in use) over the capacity.
    public var utilization: Double
}

/// The whole fleet: its devices, where each replica landed, and what could not be placed.
public struct FleetReport: Sendable, Hashable, Codable {
    public var deviceModel: String
    public var fleet: String
    public var utilizationLimit: Double
    public var devices: [DeviceReport]
    public var placements: [Placement]
    public var failures: [String]
}

extension Fleet {
    /// The fleet as a report, with `failures` (placement errors) carried along.
    public func report(failures: [String] = []) -> FleetReport {
        FleetReport(
            deviceModel: self.device.name, fleet: self.shape.description, utilizationLimit: self.utilizationLimit,
            devices: self.ledgers.map { ledger in
                DeviceReport(
                    device: ledger.device.description, node: ledger.device.node, index: ledger.device.index,
                    replicas: ledger.replicas, capacityBytes: ledger.capacityBytes, usableBytes: ledger.usableBytes,
                    weightBytes: ledger.weightBytes, kvBytes: ledger.kvBytes, kvInUseBytes: ledger.kvInUseTotal, reserveBytes: ledger.reserveBytes,
                    freeBytes: ledger.freeBytes, committedFraction: ledger.committedFraction, utilization: ledger.utilization
                )
            },
            placements: self.placements,
            failures: failures
        )
    }
}
