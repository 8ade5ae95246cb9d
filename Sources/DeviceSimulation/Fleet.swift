/// Nodes of identical devices, each device with its HBM ledger, and the replicas pinned to them.
public struct Fleet: Sendable {
    public let device: DeviceSpec
    public let shape: FleetShape
    public let utilizationLimit: Double
    /// One ledger per device, node-major.
    public private(set) var ledgers: [HBMLedger]
    public private(set) var placements: [Placement] = []

    /// vLLM's `gpu_memory_utilization` default.
    public static let defaultUtilizationLimit = 0.9

    public init(device: DeviceSpec = .h200SXM, shape: FleetShape, utilizationLimit: Double = Fleet.defaultUtilizationLimit) {
        self.device = device
        self.shape = shape
        self.utilizationLimit = utilizationLimit
        self.ledgers = shape.devices.map {
            HBMLedger(device: $0, capacityBytes: device.memoryBytes, utilizationLimit: utilizationLimit)
        }
    }

    public func ledger(for device: DeviceID) -> HBMLedger? {
        self.ledgers.first { $0.device == device }
    }

    public func placement(of replica: String) -> Placement? {
        self.placements.first { $0.replica == replica }
    }

    /// Pins `request` to `tensorParallel` devices of one node: among the nodes with enough
    /// devices that can take a shard, the one whose chosen devices are left with the least
    /// free memory (best fit), keeping whole devices and nodes open for larger replicas.
    @discardableResult
    public mutating func place(_ request: ReplicaRequest) throws(DeviceSimulationError) -> Placement {
        try self.validate(request)
        let need = request.allocationPerDevice
        let tp = request.tensorParallel
        var best: (node: Int, devices: [Int], leftover: Int)?
        for node in 0..<self.shape.nodes {
            let fitting = self.nodeLedgerIndices(node)
                .filter { self.ledgers[$0].freeBytes >= need.totalBytes }
                .sorted { self.ledgers[$0].freeBytes < self.ledgers[$1].freeBytes }
            guard fitting.count >= tp else { continue }
            let chosen = Array(fitting.prefix(tp))
            let leftover = chosen.reduce(0) { $0 + self.ledgers[$1].freeBytes - need.totalBytes }
            if let current = best, current.leftover <= leftover { continue }
            best = (node, chosen, leftover)
        }
        guard let best else { throw self.shortage(of: request, need: need) }
        for index in best.devices { try self.ledgers[index].commit(need) }
        let placement = Placement(
            replica: request.name, model: request.profile.label, tensorParallel: tp,
            devices: best.devices.map { self.ledgers[$0].device }.sorted(), perDevice: need
        )
        self.placements.append(placement)
        return placement
    }

    /// Places several replicas largest first (first-fit decreasing by total bytes), answering
    /// in the order given.
    public mutating func place(all requests: [ReplicaRequest]) -> [Result<Placement, DeviceSimulationError>] {
        let order = requests.indices.sorted {
            let left = Double(requests[$0].allocationPerDevice.totalBytes) * Double(requests[$0].tensorParallel)
            let right = Double(requests[$1].allocationPerDevice.totalBytes) * Double(requests[$1].tensorParallel)
            return left != right ? left > right : $0 < $1
        }
        var results = [Result<Placement, DeviceSimulationError>?](repeating: nil, count: requests.count)
        for index in order {
            do {
                results[index] = .success(try self.place(requests[index]))
            } catch {
                results[index] = .failure(error)
            }
        }
        return results.compactMap { $0 }
    }

    /// Unpins `replica` and frees what it held on every device of its group.
    public mutating func unload(replica: String) throws(DeviceSimulationError) {
        guard let placement = self.placement(of: replica) else {
            throw DeviceSimulationError(.unknownReplica, "no replica '\(replica)' is placed in this fleet")
        }
        for device in placement.devices {
            if let index = self.ledgers.firstIndex(where: { $0.device == device }) {
                self.ledgers[index].release(replica: replica)
            }
        }
        self.placements.removeAll { $0.replica == replica }
    }

    /// Records the KV bytes `replica` has in use on each device of its group.
    public mutating func recordKVInUse(replica: String, bytesPerDevice: Int) throws(DeviceSimulationError) {
        guard let placement = self.placement(of: replica) else {
            throw DeviceSimulationError(.unknownReplica, "no replica '\(replica)' is placed in this fleet")
        }
        for device in placement.devices {
            if let index = self.ledgers.firstIndex(where: { $0.device == device }) {
                try self.ledgers[index].recordKVInUse(replica: replica, bytes: bytesPerDevice)
            }
        }
    }

    private func nodeLedgerIndices(_ node: Int) -> Range<Int> {
        (node * self.shape.devicesPerNode)..<((node + 1) * self.shape.devicesPerNode)
    }

    private func validate(_ request: ReplicaRequest) throws(DeviceSimulationError) {
        let tp = request.tensorParallel
        let profile = request.profile
        if self.placements.contains(where: { $0.replica == request.name }) {
            throw DeviceSimulationError(.duplicateReplica, "replica '\(request.name)' is already placed")
        }
        guard tp >= 1 else {
            throw DeviceSimulationError(.invalidSpecification, "replica '\(request.name)': tensor-parallel degree \(tp) must be at least 1")
        }
        guard request.kvReserveTokens >= 0, request.maxBatchTokens >= 1 else {
            throw DeviceSimulationError(.invalidSpecification, "replica '\(request.name)': KV reserve and batch tokens must be positive")
        }
        guard tp <= self.shape.devicesPerNode else {
            throw DeviceSimulationError(
                .tensorParallelTooLarge,
                "replica '\(request.name)': tensor-parallel degree \(tp) exceeds the \(self.shape.devicesPerNode) devices of a node (a TP group stays inside one node's NVLink domain)"
            )
        }
        guard profile.attentionHeads % tp == 0, profile.kvHeads % tp == 0 || tp % profile.kvHeads == 0 else {
            throw DeviceSimulationError(
                .tensorParallelIndivisible,
                "replica '\(request.name)': \(profile.name)'s \(profile.attentionHeads) heads over \(profile.kvHeads) KV heads do not split over tensor-parallel degree \(tp)"
            )
        }
        let need = request.allocationPerDevice
        let usable = HBMLedger(device: DeviceID(node: 0, index: 0), capacityBytes: self.device.memoryBytes, utilizationLimit: self.utilizationLimit).usableBytes
        guard need.totalBytes <= usable else {
            var hint = ""
            if let degree = self.smallestFittingDegree(for: request, usable: usable) {
                hint = "; tp\(degree) would fit"
            }
            throw DeviceSimulationError(
                .modelLargerThanDevice,
                "replica '\(request.name)' (\(profile.label), tp\(tp)) needs \(formatBytes(need.totalBytes)) per device (weights \(formatBytes(need.weightBytes)), KV \(formatBytes(need.kvBytes)), reserve \(formatBytes(need.reserveBytes))) but an \(self.device.name) offers \(formatBytes(usable)) (\(formatBytes(self.device.memoryBytes)) × \(self.utilizationLimit)): short by \(formatBytes(need.totalBytes - usable))\(hint)"
            )
        }
    }

    private func smallestFittingDegree(for request: ReplicaRequest, usable: Int) -> Int? {
        var degree = request.tensorParallel * 2
        while degree <= self.shape.devicesPerNode {
            var larger = request
            larger.tensorParallel = degree
            if request.profile.attentionHeads % degree == 0, larger.allocationPerDevice.totalBytes <= usable { return degree }
            degree *= 2
        }
        return nil
    }

    /// The error for a replica that fits an empty device but finds no node with room: names
    /// the node closest to taking it and how much its tp-th roomiest device lacks.
    private func shortage(of request: ReplicaRequest, need: HBMAllocation) -> DeviceSimulationError {
        let tp = request.tensorParallel
        var closest: (node: Int, free: Int, fitting: Int)?
        for node in 0..<self.shape.nodes {
            let free = self.nodeLedgerIndices(node).map { self.ledgers[$0].freeBytes }.sorted(by: >)
            let fitting = free.filter { $0 >= need.totalBytes }.count
            let tpth = free[tp - 1]
            if let current = closest, current.free >= tpth { continue }
            closest = (node, tpth, fitting)
        }
        let node = closest?.node ?? 0
        let free = closest?.free ?? 0
        return DeviceSimulationError(
            .insufficientMemory,
            "replica '\(request.name)' (\(request.profile.label), tp\(tp)) needs \(tp) device\(tp == 1 ? "" : "s") with \(formatBytes(need.totalBytes)) free on one node; the closest, node \(node), has \(closest?.fitting ?? 0) such device\(closest?.fitting == 1 ? "" : "s") and its \(tp == 1 ? "roomiest" : "\(tp)th roomiest") has \(formatBytes(free)) free: short by \(formatBytes(need.totalBytes - free))"
        )
    }
}
