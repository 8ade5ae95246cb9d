import DecodeKernels

/// One sequence on a KV cache of its own: the simple path (the CLI, tests) that does not go
/// through a scheduler. It grows its block table through its `KVBlockPool` as tokens are
/// appended and gives every block back on `reset()`, when an append fails, and on release,
/// so no path leaks a block.
public final class LlamaSequence {
    public let context: LlamaContext
    public let cache: PagedKVCache
    /// The most tokens the sequence may hold: the model's context window unless smaller.
    public let capacity: Int
    public private(set) var blockPool: KVBlockPool
    public private(set) var blockTable = BlockTable()

    /// Positions already in the cache.
    public var length: Int { self.blockTable.tokenCount }

    public init(context: LlamaContext, format: KVCacheFormat, capacity: Int? = nil) throws {
        let window = context.model.configuration.contextLength
        let capacity = min(capacity ?? window, window)
        guard capacity > 0 else { throw ModelRuntimeError("sequence", "capacity \(capacity) must be positive") }
        let blocks = (capacity + PagedKVCache.tokensPerBlock - 1) / PagedKVCache.tokensPerBlock
        self.context = context
        self.capacity = capacity
        self.cache = try context.makeCache(blockCount: blocks, format: format)
        do {
            self.blockPool = try KVBlockPool(blockCount: blocks)
        } catch {
            throw ModelRuntimeError("KV cache", "\(error)")
        }
    }

    deinit {
        try? self.blockPool.free(&self.blockTable)
    }

    /// Runs `tokens` after what the sequence holds, `chunkSize` tokens per forward pass
    /// (default: the context's maximum batch), and returns the logits after the last one.
    /// Appending past `capacity` is an error before any work. If a pass fails, the sequence
    /// is reset (its blocks freed) and the error rethrown.
    public func append(_ tokens: [Int32], chunkSize: Int? = nil) throws -> [Float] {
        try self.checkRoom(for: tokens)
        let chunk = max(1, min(chunkSize ?? self.context.maxBatchTokens, self.context.maxBatchTokens))
        var logits: [Float] = []
        var first = 0
        while first < tokens.count {
            let end = min(first + chunk, tokens.count)
            logits = try self.run(Array(tokens[first..<end]), needsLogits: end == tokens.count, everyToken: false)
            first = end
        }
        return logits
    }

    /// Runs `tokens` (at most the context's maximum batch) in one pass and returns the logits
    /// after each of them, `tokens.count × vocabularySize` floats, token-major. On failure the
    /// sequence is reset, as with `append`.
    public func appendReturningEveryLogit(_ tokens: [Int32]) throws -> [Float] {
        try self.checkRoom(for: tokens)
        return try self.run(tokens, needsLogits: true, everyToken: true)
    }

    private func checkRoom(for tokens: [Int32]) throws {
        guard !tokens.isEmpty else { throw ModelRuntimeError("sequence", "nothing to append") }
        guard tokens.count <= self.capacity - self.length else {
            throw ModelRuntimeError(
                "prompt", "\(self.length + tokens.count) tokens exceed the context window of \(self.capacity) tokens")
        }
    }

    /// One forward pass: grow the table, perform the copy-on-write the pool asks for, run.
    private func run(_ tokens: [Int32], needsLogits: Bool, everyToken: Bool) throws -> [Float] {
        do {
            let start = self.length
            let plan = try self.blockPool.append(tokens: tokens.count, to: &self.blockTable)
            if let copy = plan.copy { try self.cache.copyBlock(from: copy.source, to: copy.destination) }
            let entry = LlamaBatchEntry(
                tokens: tokens, startPosition: start, blockTable: self.blockTable.blocks,
                needsLogits: needsLogits, logitsForEveryToken: everyToken)
            return try self.context.forward([entry], cache: self.cache)[0]
        } catch {
            self.reset()
            if let error = error as? ModelRuntimeError { throw error }
            throw ModelRuntimeError("KV cache", "\(error)")
        }
    }

    /// Frees every block; the sequence is empty again.
    public func reset() {
        try? self.blockPool.free(&self.blockTable)
    }
}
