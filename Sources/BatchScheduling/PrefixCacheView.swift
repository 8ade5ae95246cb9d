/// What a replica's prefix cache holds, as of one step: the chained hashes of its cached
/// full blocks (referenced or evictable). A value snapshot of the cache's own index, so
/// taking one costs a reference count and a router may read it on any thread while the
/// scheduler goes on (its next change to the index copies it once).
public struct PrefixCacheView: Sendable {
    private let blocks: [BlockHash: Int32]

    init(blocks: [BlockHash: Int32]) {
        self.blocks = blocks
    }

    public static let empty = PrefixCacheView(blocks: [:])

    /// A view holding exactly `hashes`: for engines without a scheduler (fakes, tests).
    public init(hashes: some Sequence<BlockHash>) {
        self.blocks = Dictionary(hashes.map { ($0, -1) }, uniquingKeysWith: { first, _ in first })
    }

    /// Cached full blocks.
    public var count: Int { self.blocks.count }

    /// Leading blocks of `hashes` (a prompt's `BlockHash.chain`) the cache holds, stopping at
    /// the first absent one: the prompt blocks an admission here would find cached. Chained
    /// hashes make a present block imply its whole prefix, short of an evicted parent.
    public func match(_ hashes: [BlockHash]) -> Int {
        var count = 0
        for hash in hashes {
            guard self.blocks[hash] != nil else { break }
            count += 1
        }
        return count
    }
}
