extension BlockHash {
    /// The chained hashes of a prompt's full blocks, as the prefix cache addresses them: a
    /// router matches them against each replica's `PrefixCacheView`.
    public static func chain(_ tokens: [Int32], blockSize: Int) -> [BlockHash] {
        guard blockSize > 0 else { return [] }
        var hashes: [BlockHash] = []
        hashes.reserveCapacity(tokens.count / blockSize)
        var start = 0
        while start + blockSize <= tokens.count {
            hashes.append(Self.chained(parent: hashes.last, tokens: tokens[start..<start + blockSize]))
            start += blockSize
        }
        return hashes
    }
}
