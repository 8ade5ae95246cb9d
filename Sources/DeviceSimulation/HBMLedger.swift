/// What one replica holds on one device.
public struct HBMAllocation: Sendable, Hashable, Codable {
    public var replica: String
    public var weightBytes: Int
    public var kvBytes: Int
    /// Activations, workspaces and the CUDA context.
    public var reserveBytes: Int

    public init(replica: String, weightBytes: Int, kvBytes: Int, reserveBytes: Int) {
        self.replica = replica
        self.weightBytes = weightBytes
        self.kvBytes = kvBytes
        self.reserveBytes = reserveBytes
    }

    public var totalBytes: Int { self.weightBytes + self.kvBytes + self.reserveBytes }
}

/// The HBM of one device: what each pinned replica committed, never more than the usable
/// share (capacity × utilization limit), and the KV each replica has in use right now.
public struct HBMLedger: Sendable, Hashable, Codable {
    public let device: DeviceID
    public let capacityBytes: Int
    /// capacity × utilization limit: what may be committed.
    public let usableBytes: Int
    public private(set) var allocations: [HBMAllocation] = []
    /// KV bytes in use per replica (≤ its KV reserve), as its block allocator reports them.
    public private(set) var kvInUseBytes: [String: Int] = [:]

    public init(device: DeviceID, capacityBytes: Int, utilizationLimit: Double) {
        self.device = device
        self.capacityBytes = capacityBytes
        self.usableBytes = Int(Double(capacityBytes) * min(max(utilizationLimit, 0), 1))
    }

    public var committedBytes: Int { self.allocations.reduce(0) { $0 + $1.totalBytes } }
    public var weightBytes: Int { self.allocations.reduce(0) { $0 + $1.weightBytes } }
    public var kvBytes: Int { self.allocations.reduce(0) { $0 + $1.kvBytes } }
    public var reserveBytes: Int { self.allocations.reduce(0) { $0 + $1.reserveBytes } }
    /// Committable bytes left.
    public var freeBytes: Int { self.usableBytes - self.committedBytes }
    /// Committed share of the whole capacity.
    public var committedFraction: Double { Double(self.committedBytes) / Double(self.capacityBytes) }
    /// Bytes really occupied now (weights, reserve and the KV in use) over the capacity.
    public var utilization: Double {
        Double(self.weightBytes + self.reserveBytes + self.kvInUseTotal) / Double(self.capacityBytes)
    }
    /// KV bytes all pinned replicas use now.
    public var kvInUseTotal: Int { self.kvInUseBytes.values.reduce(0, +) }
    public var replicas: [String] { self.allocations.map(\.replica) }

    /// Commits `allocation`, or throws (changing nothing) when it would exceed the usable bytes.
    public mutating func commit(_ allocation: HBMAllocation) throws(DeviceSimulationError) {
        guard !self.allocations.contains(where: { $0.replica == allocation.replica }) else {
            throw DeviceSimulationError(.duplicateReplica, "\(self.device): replica '\(allocation.replica)' is already pinned here")
        }
        guard allocation.weightBytes >= 0, allocation.kvBytes >= 0, allocation.reserveBytes >= 0 else {
            throw DeviceSimulationError(.invalidSpecification, "\(self.device): negative allocation for '\(allocation.replica)'")
        }
        guard allocation.totalBytes <= self.freeBytes else {
            throw DeviceSimulationError(
                .overCommit,
                "\(self.device): '\(allocation.replica)' needs \(formatBytes(allocation.totalBytes)), only \(formatBytes(self.freeBytes)) free (short by \(formatBytes(allocation.totalBytes - self.freeBytes)))"
            )
        }
        self.allocations.append(allocation)
    }

    /// Frees everything `replica` committed; false when it held nothing here.
    @discardableResult
    public mutating func release(replica: String) -> Bool {
        let before = self.allocations.count
        self.allocations.removeAll { $0.replica == replica }
        self.kvInUseBytes[replica] = nil
        return self.allocations.count != before
    }

    /// Records the KV bytes `replica` has in use, clamped to its reserve.
    public mutating func recordKVInUse(replica: String, bytes: Int) throws(DeviceSimulationError) {
        guard let allocation = self.allocations.first(where: { $0.replica == replica }) else {
            throw DeviceSimulationError(.unknownReplica, "\(self.device): no replica '\(replica)' is pinned here")
        }
        self.kvInUseBytes[replica] = min(max(bytes, 0), allocation.kvBytes)
    }
}

/// Decimal gigabytes with one decimal, as datasheets count them ("85.2 GB").
public func formatBytes(_ bytes: Int) -> String {
    let tenths = Int((Double(bytes) / 1e8).rounded())
    let sign = tenths < 0 ? "-" : ""
    return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10) GB"
}
