/// The replica's KV block pool as the scheduler sees it: which block ids are free, which
/// are referenced by how many sequences, and which cached full blocks may be reused.
///
/// This is the allocator a serving replica uses: blocks of `blockSize` tokens allocated on
/// demand, shared by reference count through the prefix cache, evicted least recently used.
/// `DecodeKernels.KVBlockPool` is the simpler pool without prefix caching that the
/// single-sequence path and the kernel tests use; the two never manage the same cache.
public struct KVBlockManager: Sendable {
    public let blockCount: Int
    private var referenceCounts: [Int]
    /// Blocks with no reference and no cached content, taken from the end.
    private var uncachedFree: [Int32]
    private var cache: PrefixCache

    init(blockCount: Int) {
        self.blockCount = blockCount
        self.referenceCounts = Array(repeating: 0, count: blockCount)
        self.uncachedFree = (0..<Int32(blockCount)).reversed()
        self.cache = PrefixCache(blockCount: blockCount)
    }

    /// Blocks an allocation can get: never used, or cached with no reference.
    public var freeCount: Int { self.uncachedFree.count + self.cache.evictableCount }
    /// Blocks at least one sequence references.
    public var usedCount: Int { self.blockCount - self.freeCount }
    /// Blocks holding content the prefix cache can hand out (referenced or not).
    public var cachedCount: Int { self.cache.cachedCount }
    /// What the prefix cache holds now, for a router to match prompts against.
    public var prefixCacheView: PrefixCacheView { self.cache.view }

    public func referenceCount(of block: Int32) -> Int {
        guard block >= 0, Int(block) < self.blockCount else { return 0 }
        return self.referenceCounts[Int(block)]
    }

    /// A block for one sequence: an uncached free one if any, else the least recently used
    /// evictable cached one (its content forgotten); nil when every block is referenced.
    mutating func allocate() -> Int32? {
        let block: Int32
        if let free = self.uncachedFree.popLast() {
            block = free
        } else if let evicted = self.cache.evictLeastRecentlyUsed() {
            block = evicted
        } else {
            return nil
        }
        self.referenceCounts[Int(block)] = 1
        return block
    }

    /// One more sequence shares a cached block.
    mutating func retain(_ block: Int32) {
        if self.referenceCounts[Int(block)] == 0 { self.cache.unmarkEvictable(block) }
        self.referenceCounts[Int(block)] += 1
    }

    /// A sequence lets go of a block; the last release makes it evictable (cached) or free.
    mutating func release(_ block: Int32) {
        self.referenceCounts[Int(block)] -= 1
        guard self.referenceCounts[Int(block)] == 0 else { return }
        if self.cache.isCached(block) {
            self.cache.markEvictable(block)
        } else {
            self.uncachedFree.append(block)
        }
    }

    /// Releases a whole table, tail first, so that its last blocks are evicted first.
    mutating func release(table: [Int32]) {
        for block in table.reversed() { self.release(block) }
    }

    /// The cached block with this content, if any (not yet retained).
    func cachedBlock(_ hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<Int32>) -> Int32? {
        self.cache.lookup(hash, parent: parent, tokens: tokens)
    }

    /// Whether a cached block has no reference (retaining it takes it out of `freeCount`).
    func isEvictable(_ block: Int32) -> Bool {
        self.referenceCounts[Int(block)] == 0 && self.cache.isCached(block)
    }

    /// Makes a full, computed block available to later requests with the same prefix.
    mutating func register(_ block: Int32, hash: BlockHash, parent: BlockHash?, tokens: ArraySlice<Int32>) {
        self.cache.insert(block, hash: hash, parent: parent, tokens: tokens)
    }
}
