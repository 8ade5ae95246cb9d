/// Byte-pair merging of one pre-tokenized word, with merges looked up by token-id pair.
///
/// The word starts as one token per byte (each byte's GPT-2 alphabet scalar) and repeatedly
/// merges the adjacent pair of lowest rank, the leftmost one on ties — the order of llama.cpp
/// and Hugging Face `tokenizers`. A priority queue of candidate pairs keeps that O(n log n)
/// in the word's length, so a hostile prompt of one 100 KB "word" stays cheap.
struct BytePairMerger: Sendable {
    struct Merge: Sendable {
        var rank: Int32
        var result: Int32
    }

    /// Key: left token id in the high 32 bits, right token id in the low 32 bits.
    let merges: [UInt64: Merge]
    /// The token that spells each single byte, `missing` for a byte the vocabulary lacks.
    let byteTokens: [Int32]

    /// Stands for a byte without a token: it merges with nothing and is left out.
    static let missing: Int32 = -1

    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    func tokens(forWord bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols = bytes.map { self.byteTokens[Int($0)] }
        if symbols.count < 2 {
            return symbols.filter { $0 != BytePairMerger.missing }
        }
        let count = symbols.count
        // A doubly linked list over the symbols; -1 ends it. Merging keeps the left symbol.
        var next = (0..<count).map { Int32($0 + 1) }
        var previous = (0..<count).map { Int32($0 - 1) }
        next[count - 1] = -1
        var alive = [Bool](repeating: true, count: count)

        var queue = MergeQueue()
        // Queues the pair that starts at `left`, if the symbol after it forms a known merge.
        func queuePair(startingAt left: Int) {
            let right = next[left]
            guard right >= 0, let merge = self.merges[Self.key(symbols[left], symbols[Int(right)])] else { return }
            queue.push(.init(rank: merge.rank, position: Int32(left), left: symbols[left], right: symbols[Int(right)]))
        }
        for index in 0..<(count - 1) {
            queuePair(startingAt: index)
        }

        while let candidate = queue.pop() {
            let left = Int(candidate.position)
            let rightLink = next[left]
            // Stale when either side has changed since the pair was queued.
            guard alive[left], rightLink >= 0, symbols[left] == candidate.left,
                symbols[Int(rightLink)] == candidate.right,
                let merge = self.merges[Self.key(candidate.left, candidate.right)]
            else { continue }
            let right = Int(rightLink)
            symbols[left] = merge.result
            alive[right] = false
            next[left] = next[right]
            if next[right] >= 0 {
                previous[Int(next[right])] = Int32(left)
            }
            if previous[left] >= 0 {
                queuePair(startingAt: Int(previous[left]))
            }
            queuePair(startingAt: left)
        }

        var result: [Int32] = []
        result.reserveCapacity(count)
        var index = 0
        while index >= 0 {
            if symbols[index] != BytePairMerger.missing {
                result.append(symbols[index])
            }
            index = Int(next[index])
        }
        return result
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct MergeQueue {
    struct Candidate {
        var rank: Int32
        var position: Int32
        var left: Int32
        var right: Int32

        func precedes(_ other: Candidate) -> Bool {
            self.rank != other.rank ? self.rank < other.rank : self.position < other.position
        }
    }

    private var heap: [Candidate] = []

    mutating func push(_ candidate: Candidate) {
        self.heap.append(candidate)
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].precedes(self.heap[parent]) else { break }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let last = self.heap.popLast() else { return nil }
        guard !self.heap.isEmpty else { return last }
        let top = self.heap[0]
        self.heap[0] = last
        var parent = 0
        let count = self.heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && self.heap[right].precedes(self.heap[left]) ? right : left
            guard self.heap[child].precedes(self.heap[parent]) else { break }
            self.heap.swapAt(child, parent)
            parent = child
        }
        return top
    }
}
