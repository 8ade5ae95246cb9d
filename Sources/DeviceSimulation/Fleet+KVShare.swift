extension Fleet {
    /// The KV tokens `request` could reserve if it were placed now, vLLM-style (all the
    /// committable memory its devices have left after weights and reserve). It is placed with
    /// no KV on a copy of the fleet, so that a model too large, a TP degree too large or a
    /// full fleet fails with placement's own error.
    public func kvTokensLeft(for request: ReplicaRequest) throws(DeviceSimulationError) -> Int {
        var bare = request
        bare.kvReserveTokens = 0
        var probe = self
        let placement = try probe.place(bare)
        let free = placement.devices.compactMap { probe.ledger(for: $0)?.freeBytes }.min() ?? 0
        var one = request
        one.kvReserveTokens = 1
        return free / max(one.allocationPerDevice.kvBytes, 1)
    }
}
