/// BPE results per pre-tokenized word, shared by every encode call of one tokenizer.
///
/// Natural text repeats a small set of words, so most words skip merging entirely. Words of
/// up to 16 bytes — nearly all — are keyed by their bytes packed into two integers, so a
/// lookup allocates nothing; longer ones up to `maximumWordLength` by a byte array; longer
/// still are not cached (rare, and they would pin memory). The cache is emptied when it
/// reaches `capacity` entries, which bounds its memory.
struct WordCache: Sendable {
    static let maximumWordLength = 64
    static let capacity = 1 << 16

    /// Up to 16 bytes, little-endian in `low` then `high`, with the length to tell apart
    /// words that differ only by trailing zero bytes.
    struct PackedWord: Hashable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var length: Int

        init?(_ word: UnsafeBufferPointer<UInt8>) {
            guard word.count <= 16 else { return nil }
            self.length = word.count
            for (index, byte) in word.enumerated() {
                if index < 8 {
                    self.low |= UInt64(byte) << (8 * UInt64(index))
                } else {
                    self.high |= UInt64(byte) << (8 * UInt64(index - 8))
                }
            }
        }
    }

    private var short: [PackedWord: [Int32]] = [:]
    private var long: [[UInt8]: [Int32]] = [:]

    func tokens(for word: UnsafeBufferPointer<UInt8>, packed: PackedWord?) -> [Int32]? {
        if let packed {
            return self.short[packed]
        }
        return self.long[Array(word)]
    }

    mutating func insert(_ tokens: [Int32], for word: UnsafeBufferPointer<UInt8>, packed: PackedWord?) {
        if self.short.count + self.long.count >= WordCache.capacity {
            self.short.removeAll(keepingCapacity: true)
            self.long.removeAll(keepingCapacity: true)
        }
        if let packed {
            self.short[packed] = tokens
        } else {
            self.long[Array(word)] = tokens
        }
    }
}
