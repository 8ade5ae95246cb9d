/// One accepted request inside the scheduler: its tokens so far and its share of the pool.
struct SequenceState: Sendable {
    var request: SchedulerRequest
    /// Order of acceptance; among equal priorities the highest number is preempted first.
    let admissionNumber: UInt64
    /// Prompt followed by the generated tokens.
    var tokens: [Int32]
    var blockTable: [Int32] = []
    /// Positions `0..<computedTokens` are in the KV cache.
    var computedTokens = 0
    /// Leading full blocks of `blockTable` already offered to the prefix cache.
    var registeredBlocks = 0
    /// Hashes of the full blocks of `tokens`, chained from the first.
    var blockHashes: [BlockHash] = []
    var isRunning = false

    init(request: SchedulerRequest, admissionNumber: UInt64) {
        self.request = request
        self.admissionNumber = admissionNumber
        self.tokens = request.promptTokens
    }

    var generated: ArraySlice<Int32> { self.tokens[self.request.promptTokens.count...] }
    var generatedCount: Int { self.tokens.count - self.request.promptTokens.count }
    /// Tokens not yet in the cache; the last one is always fed to get the next logits.
    var remainingTokens: Int { self.tokens.count - self.computedTokens }

    /// Whether `self` runs before `other` and is preempted after it: higher priority
    /// first, then earlier acceptance.
    func outranks(_ other: SequenceState) -> Bool {
        if self.request.priority != other.request.priority {
            return self.request.priority > other.request.priority
        }
        return self.admissionNumber < other.admissionNumber
    }

    /// Hashes every full block of `tokens` not hashed yet.
    mutating func extendHashes(blockSize: Int) {
        while (self.blockHashes.count + 1) * blockSize <= self.tokens.count {
            let index = self.blockHashes.count
            let slice = self.tokens[(index * blockSize)..<((index + 1) * blockSize)]
            self.blockHashes.append(BlockHash.chained(parent: self.blockHashes.last, tokens: slice))
        }
    }

    /// The tokens of block `index`.
    func blockTokens(_ index: Int, blockSize: Int) -> ArraySlice<Int32> {
        self.tokens[(index * blockSize)..<((index + 1) * blockSize)]
    }
}
