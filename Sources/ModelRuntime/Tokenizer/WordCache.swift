/// BPE results per pre-tokenized word, shared by every encode call of one tokenizer.
///
/// Natural text repeats a small set of words, so most words skip merging entirely. Words
/// longer than `maximumWordLength` are not cached (they are rare and would pin memory), and
/// the cache is emptied when it reaches `capacity` entries, which bounds its memory.
struct WordCache: Sendable {
    static let maximumWordLength = 64
    static let capacity = 1 << 16

    private var entries: [[UInt8]: [Int32]] = [:]

    func tokens(for word: [UInt8]) -> [Int32]? {
        self.entries[word]
    }

    mutating func insert(_ tokens: [Int32], for word: [UInt8]) {
        if self.entries.count >= WordCache.capacity {
            self.entries.removeAll(keepingCapacity: true)
        }
        self.entries[word] = tokens
    }
}
