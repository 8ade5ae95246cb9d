/// Bookkeeping for a `PagedKVCache`'s blocks: which are free, and how many block tables hold
/// each one. A value type without locks: its owner (a replica's scheduler) mutates it from one
/// place. Every operation checks first and then mutates, so an error leaves the pool and the
/// table as they were.
public struct KVBlockPool: Sendable {
    public let blockCount: Int
    /// How many tables hold each block; 0 means free.
    private var referenceCounts: [Int32]
    /// Free block ids, used as a stack (the most recently freed block is reused first).
    private var freeBlocks: [Int32]

    public init(blockCount: Int) throws(KVCacheError) {
        guard blockCount > 0, blockCount <= Int(Int32.max) else {
            throw .invalidConfiguration("block count \(blockCount) outside 1...\(Int32.max)")
        }
        self.blockCount = blockCount
        self.referenceCounts = Array(repeating: 0, count: blockCount)
        // Reversed so that allocation hands out 0, 1, 2, … on a fresh pool.
        self.freeBlocks = (0..<Int32(blockCount)).reversed()
    }

    public var freeCount: Int { self.freeBlocks.count }
    public var usedCount: Int { self.blockCount - self.freeBlocks.count }

    /// How many tables hold `block` (0 when it is free).
    public func referenceCount(of block: Int32) throws(KVCacheError) -> Int {
        try self.check(block)
        return Int(self.referenceCounts[Int(block)])
    }

    /// A free block, now held once.
    public mutating func allocate() throws(KVCacheError) -> Int32 {
        guard let block = self.freeBlocks.popLast() else { throw .outOfBlocks(needed: 1, free: 0) }
        self.referenceCounts[Int(block)] = 1
        return block
    }

    /// One more holder of an allocated block.
    public mutating func retain(_ block: Int32) throws(KVCacheError) {
        try self.check(block)
        guard self.referenceCounts[Int(block)] > 0 else { throw .unknownBlock(block) }
        self.referenceCounts[Int(block)] += 1
    }

    /// One holder fewer; the block is free again when none is left.
    public mutating func release(_ block: Int32) throws(KVCacheError) {
        try self.check(block)
        guard self.referenceCounts[Int(block)] > 0 else { throw .doubleFree(block: block) }
        self.referenceCounts[Int(block)] -= 1
        if self.referenceCounts[Int(block)] == 0 { self.freeBlocks.append(block) }
    }

    /// Blocks `append(tokens:to:)` would allocate for `table` (new blocks plus a
    /// copy-on-write replacement), so a scheduler can check capacity before it commits.
    public func blocksNeeded(toAppend tokens: Int, to table: BlockTable) -> Int {
        guard tokens > 0 else { return 0 }
        let size = PagedKVCache.tokensPerBlock
        let newBlocks = (table.tokenCount + tokens + size - 1) / size - table.blocks.count
        return max(0, newBlocks) + (self.needsCopy(table) ? 1 : 0)
    }

    /// Extends `table` by `tokens` positions, allocating a block every 16 tokens. When the
    /// table's partially filled last block is shared with another table, it is replaced by a
    /// private copy first (the plan says which copy to perform). Returns the slots to write.
    public mutating func append(tokens: Int, to table: inout BlockTable) throws(KVCacheError) -> KVAppendPlan {
        guard tokens >= 0 else { throw .invalidArgument("cannot append \(tokens) tokens") }
        try self.checkHeld(table)
        let needed = self.blocksNeeded(toAppend: tokens, to: table)
        guard needed <= self.freeCount else { throw .outOfBlocks(needed: needed, free: self.freeCount) }
        var plan = KVAppendPlan(copy: nil, slots: [])
        guard tokens > 0 else { return plan }
        if self.needsCopy(table), let shared = table.blocks.last {
            let replacement = try self.allocate()
            try self.release(shared)
            table.blocks[table.blocks.count - 1] = replacement
            plan.copy = (source: shared, destination: replacement)
        }
        let size = PagedKVCache.tokensPerBlock
        plan.slots.reserveCapacity(tokens)
        for position in table.tokenCount..<(table.tokenCount + tokens) {
            if position / size == table.blocks.count { table.blocks.append(try self.allocate()) }
            plan.slots.append(KVSlot(block: table.blocks[position / size], slot: position % size))
        }
        table.tokenCount += tokens
        return plan
    }

    /// A second table sharing every block of `table` (a forked sequence, or a cached prefix).
    public mutating func fork(_ table: BlockTable) throws(KVCacheError) -> BlockTable {
        try self.checkHeld(table)
        for block in table.blocks { self.referenceCounts[Int(block)] += 1 }
        return table
    }

    /// Releases every block of `table` and empties it.
    public mutating func free(_ table: inout BlockTable) throws(KVCacheError) {
        try self.checkHeld(table)
        for block in table.blocks { try self.release(block) }
        table = BlockTable()
    }

    private func needsCopy(_ table: BlockTable) -> Bool {
        guard let last = table.blocks.last, table.tokenCount % PagedKVCache.tokensPerBlock != 0 else { return false }
        return self.referenceCounts[Int(last)] > 1
    }

    private func check(_ block: Int32) throws(KVCacheError) {
        guard block >= 0, Int(block) < self.blockCount else { throw .unknownBlock(block) }
    }

    /// Every block of `table` is in range and held (counting repeats), so a mutation that
    /// follows cannot fail halfway.
    private func checkHeld(_ table: BlockTable) throws(KVCacheError) {
        let size = PagedKVCache.tokensPerBlock
        guard table.tokenCount >= 0, table.blocks.count == (table.tokenCount + size - 1) / size else {
            throw .invalidArgument("block table with \(table.blocks.count) blocks for \(table.tokenCount) tokens")
        }
        for block in table.blocks {
            try self.check(block)
            guard self.referenceCounts[Int(block)] > 0 else { throw .doubleFree(block: block) }
        }
    }
}
