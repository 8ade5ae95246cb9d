import DecodeKernels
import Testing

@Suite struct KVBlockPoolTests {
    @Test func allocateAndReleaseCountBlocks() throws {
        var pool = try KVBlockPool(blockCount: 4)
        #expect(pool.freeCount == 4 && pool.usedCount == 0)
        let first = try pool.allocate()
        let second = try pool.allocate()
        #expect(first != second)
        #expect(pool.usedCount == 2 && pool.freeCount == 2)
        try pool.retain(first)
        #expect(try pool.referenceCount(of: first) == 2)
        try pool.release(first)
        #expect(pool.usedCount == 2)
        try pool.release(first)
        try pool.release(second)
        #expect(pool.freeCount == 4)
    }

    @Test func misuseIsAThrownError() throws {
        var pool = try KVBlockPool(blockCount: 2)
        let block = try pool.allocate()
        try pool.release(block)
        #expect(throws: KVCacheError.doubleFree(block: block)) { try pool.release(block) }
        #expect(throws: KVCacheError.unknownBlock(7)) { try pool.release(7) }
        #expect(throws: KVCacheError.unknownBlock(-1)) { try pool.retain(-1) }
        #expect(throws: KVCacheError.unknownBlock(block)) { try pool.retain(block) }
        _ = try pool.allocate()
        _ = try pool.allocate()
        #expect(throws: KVCacheError.outOfBlocks(needed: 1, free: 0)) { try pool.allocate() }
        #expect(throws: KVCacheError.self) { try KVBlockPool(blockCount: 0) }
        #expect(KVCacheError.doubleFree(block: 3).description == "KV block 3 released while not in use")
    }

    @Test func appendAllocatesABlockEverySixteenTokens() throws {
        var pool = try KVBlockPool(blockCount: 8)
        var table = BlockTable()
        let plan = try pool.append(tokens: 17, to: &table)
        #expect(plan.copy == nil)
        #expect(table.blocks.count == 2 && table.tokenCount == 17)
        #expect(plan.slots.count == 17)
        #expect(plan.slots[0] == KVSlot(block: table.blocks[0], slot: 0))
        #expect(plan.slots[15] == KVSlot(block: table.blocks[0], slot: 15))
        #expect(plan.slots[16] == KVSlot(block: table.blocks[1], slot: 0))
        let more = try pool.append(tokens: 15, to: &table)
        #expect(table.blocks.count == 2 && table.tokenCount == 32)
        #expect(more.slots.first == KVSlot(block: table.blocks[1], slot: 1))
        #expect(more.slots.last == KVSlot(block: table.blocks[1], slot: 15))
        let one = try pool.append(tokens: 1, to: &table)
        #expect(table.blocks.count == 3 && one.slots == [KVSlot(block: table.blocks[2], slot: 0)])
        #expect(try pool.append(tokens: 0, to: &table).slots.isEmpty)
        #expect(pool.usedCount == 3)
        try pool.free(&table)
        #expect(table == BlockTable() && pool.freeCount == 8)
    }

    @Test func outOfBlocksLeavesPoolAndTableUnchanged() throws {
        var pool = try KVBlockPool(blockCount: 3)
        var table = BlockTable()
        _ = try pool.append(tokens: 20, to: &table)
        let before = table
        #expect(pool.blocksNeeded(toAppend: 40, to: table) == 2)
        #expect(throws: KVCacheError.outOfBlocks(needed: 2, free: 1)) { try pool.append(tokens: 40, to: &table) }
        #expect(table == before && pool.freeCount == 1)
        #expect(throws: KVCacheError.self) { try pool.append(tokens: -1, to: &table) }
        try pool.free(&table)
        #expect(pool.freeCount == 3)
    }

    @Test func forkSharesBlocksAndCopiesOnWriteIntoASharedPartialBlock() throws {
        var pool = try KVBlockPool(blockCount: 8)
        var parent = BlockTable()
        _ = try pool.append(tokens: 20, to: &parent)
        var child = try pool.fork(parent)
        #expect(child == parent && pool.usedCount == 2)
        #expect(try pool.referenceCount(of: parent.blocks[0]) == 2)
        #expect(pool.blocksNeeded(toAppend: 1, to: child) == 1)

        let shared = parent.blocks[1]
        let plan = try pool.append(tokens: 3, to: &child)
        let copy = try #require(plan.copy)
        #expect(copy.source == shared && copy.destination == child.blocks[1] && copy.destination != shared)
        #expect(child.blocks[0] == parent.blocks[0])
        #expect(plan.slots == [4, 5, 6].map { KVSlot(block: copy.destination, slot: $0) })
        #expect(try pool.referenceCount(of: shared) == 1)
        #expect(try pool.referenceCount(of: parent.blocks[0]) == 2)

        // The parent now holds its last block alone and appends in place.
        let parentPlan = try pool.append(tokens: 1, to: &parent)
        #expect(parentPlan.copy == nil && parentPlan.slots == [KVSlot(block: shared, slot: 4)])

        try pool.free(&child)
        #expect(try pool.referenceCount(of: parent.blocks[0]) == 1)
        try pool.free(&parent)
        #expect(pool.freeCount == 8)
    }

    @Test func forkAtABlockBoundaryNeedsNoCopy() throws {
        var pool = try KVBlockPool(blockCount: 8)
        var parent = BlockTable()
        _ = try pool.append(tokens: 32, to: &parent)
        var child = try pool.fork(parent)
        let plan = try pool.append(tokens: 1, to: &child)
        #expect(plan.copy == nil && child.blocks.count == 3)
        #expect(Array(child.blocks.prefix(2)) == parent.blocks)
        var grandchild = try pool.fork(child)
        try pool.free(&parent)
        try pool.free(&child)
        #expect(pool.usedCount == 3)
        try pool.free(&grandchild)
        #expect(pool.freeCount == 8)
    }

    @Test func freeingATableTwiceIsAnError() throws {
        var pool = try KVBlockPool(blockCount: 4)
        var table = BlockTable()
        _ = try pool.append(tokens: 5, to: &table)
        var stale = table
        try pool.free(&table)
        #expect(throws: KVCacheError.doubleFree(block: stale.blocks[0])) { try pool.free(&stale) }
        #expect(throws: KVCacheError.self) { _ = try pool.fork(stale) }
        #expect(pool.freeCount == 4)
    }
}
