/// Content address of a full KV block: a hash chained from the parent block's hash and the
/// block's token ids, so equal hashes mean equal whole prefixes, not only equal blocks.
public struct BlockHash: Hashable, Sendable {
    public let value: UInt64

    /// FNV-1a over the parent's hash and the tokens, then a SplitMix64 finaliser. Stable
    /// across processes (unlike `Hasher`), so runs and tests are reproducible.
    static func chained(parent: BlockHash?, tokens: ArraySlice<Int32>) -> BlockHash {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) {
            var word = word
            for _ in 0..<8 {
                state = (state ^ (word & 0xff)) &* 0x0000_0100_0000_01b3
                word >>= 8
            }
        }
        mix(parent?.value ?? 0x9e37_79b9_7f4a_7c15)
        for token in tokens { mix(UInt64(UInt32(bitPattern: token))) }
        var z = state &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return BlockHash(value: z ^ (z >> 31))
    }
}

/// Which full blocks hold which content, and which cached blocks no sequence references
/// (evictable, least recently used first). The block manager keeps reference counts; this
/// type only knows addresses and recency.
struct PrefixCache {
    private struct Entry {
        var hash: BlockHash
        var parent: BlockHash?
        var tokens: [Int32]
    }

    private var blockForHash: [BlockHash: Int32] = [:]
    /// Indexed by block id; nil for a block that holds no cached content.
    private var entries: [Entry?]
    /// Indexed by block id; the block's place in `evictionQueue` while it is evictable,
    /// 0 while it is not.
    private var evictableStamp: [UInt64]
    /// Evictable blocks in the order they became evictable. Entries whose stamp no longer
    /// matches `evictableStamp` were reused meanwhile and are skipped (lazy deletion).
    private var evictionQueue: [(block: Int32, stamp: UInt64)] = []
    private var queueHead = 0
    private var nextStamp: UInt64 = 1
    private(set) var evictableCount = 0

    init(blockCount: Int) {
        self.entries = Array(repeating: nil, count: blockCount)
        self.evictableStamp = Array(repeating: 0, count: blockCount)
    }

    var cachedCount: Int { self.blockForHash.count }

    /// The cached hashes as of now (a copy-on-write snapshot of the index).
    var view: PrefixCacheView { PrefixCacheView(blocks: self.blockForHash) }

    func isCached(_ block: Int32) -> Bool { self.entries[Int(block)] != nil }

    /// The cached block with this content, verified token by token so that a hash
    /// collision can never hand out another prefix's KV entries.
    func lookup(_ hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<Int32>) -> Int32? {
        guard let block = self.blockForHash[hash], let entry = self.entries[Int(block)],
            entry.parent == parent, entry.tokens.elementsEqual(tokens)
        else { return nil }
        return block
    }

    /// Records that `block` holds this content. A second block with content already
    /// cached stays private (it is freed, not cached, when released).
    mutating func insert(_ block: Int32, hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<Int32>) {
        guard self.blockForHash[hash] == nil, self.entries[Int(block)] == nil else { return }
        self.blockForHash[hash] = block
        self.entries[Int(block)] = Entry(hash: hash, parent: parent, tokens: Array(tokens))
    }

    /// The block's last reference went away; it keeps its content until evicted.
    mutating func markEvictable(_ block: Int32) {
        let stamp = self.nextStamp
        self.nextStamp += 1
        self.evictableStamp[Int(block)] = stamp
        self.evictionQueue.append((block, stamp))
        self.evictableCount += 1
    }

    /// The block is referenced again (a prefix hit); it leaves the eviction order.
    mutating func unmarkEvictable(_ block: Int32) {
        guard self.evictableStamp[Int(block)] != 0 else { return }
        self.evictableStamp[Int(block)] = 0
        self.evictableCount -= 1
    }

    /// Forgets the least recently used evictable block's content and returns it.
    mutating func evictLeastRecentlyUsed() -> Int32? {
        while self.queueHead < self.evictionQueue.count {
            let (block, stamp) = self.evictionQueue[self.queueHead]
            self.queueHead += 1
            guard self.evictableStamp[Int(block)] == stamp else { continue }
            self.evictableStamp[Int(block)] = 0
            self.evictableCount -= 1
            if let entry = self.entries[Int(block)] {
                self.blockForHash[entry.hash] = nil
                self.entries[Int(block)] = nil
            }
            self.compactQueue()
            return block
        }
        return nil
    }

    /// Drops the consumed front of the queue once it dominates, keeping memory bounded.
    private mutating func compactQueue() {
        guard self.queueHead > 1024, self.queueHead * 2 > self.evictionQueue.count else { return }
        self.evictionQueue.removeFirst(self.queueHead)
        self.queueHead = 0
    }
}
