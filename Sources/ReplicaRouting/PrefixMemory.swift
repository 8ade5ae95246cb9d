import BatchScheduling

/// The prompt blocks the router has sent one replica, most recent kept: a stand-in for the
/// replica's prefix cache that costs no lock on the replica. Bounded; the oldest leave first.
public struct PrefixMemory: Sendable {
    public let capacity: Int
    private var members: Set<UInt64> = []
    private var order: [UInt64] = []
    private var head = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Leading blocks of `hashes` present, stopping at the first absent one.
    public func match(_ hashes: [BlockHash]) -> Int {
        var count = 0
        for hash in hashes {
            guard self.members.contains(hash.value) else { break }
            count += 1
        }
        return count
    }

    public mutating func insert(_ hashes: [BlockHash]) {
        for hash in hashes where !self.members.contains(hash.value) {
            if self.order.count < self.capacity {
                self.order.append(hash.value)
            } else {
                self.members.remove(self.order[self.head])
                self.order[self.head] = hash.value
                self.head = (self.head + 1) % self.capacity
            }
            self.members.insert(hash.value)
        }
    }
}
