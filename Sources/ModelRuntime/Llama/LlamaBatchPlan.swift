import DecodeKernels

/// A validated batch flattened to per-token arrays: token ids, positions, cache slots and
/// attention spans in batch order, plus which token rows need logits.
struct LlamaBatchPlan {
    struct Span {
        var blockOffset: Int
        var blockCount: Int
        var visibleLength: Int
    }

    var tokens: [Int32] = []
    var positions: [Int] = []
    var slots: [KVSlot] = []
    var attentionSpans: [Span] = []
    /// Every entry's block table, back to back.
    var flatBlocks: [Int32] = []
    /// (entry index, token row) of every row whose logits are wanted, in batch order.
    var logitRows: [(entry: Int, token: Int)] = []

    init(batch: [LlamaBatchEntry], context: LlamaContext, cache: PagedKVCache) throws {
        let c = context.model.configuration
        func fail(_ problem: String) -> ModelRuntimeError { ModelRuntimeError("batch", problem) }
        guard cache.layers == c.blockCount, cache.kvHeads == c.kvHeadCount, cache.headDim == c.headDimension else {
            throw fail(
                "KV cache shape (\(cache.layers) layers, \(cache.kvHeads) KV heads × \(cache.headDim)) does not fit the model (\(c.blockCount) layers, \(c.kvHeadCount) × \(c.headDimension))"
            )
        }
        let total = batch.reduce(0) { $0 + $1.tokens.count }
        guard total > 0 else { throw fail("the batch has no tokens") }
        guard total <= context.maxBatchTokens else {
            throw fail("\(total) tokens exceed the context's maximum batch of \(context.maxBatchTokens)")
        }
        self.tokens.reserveCapacity(total)
        self.positions.reserveCapacity(total)
        self.slots.reserveCapacity(total)
        self.attentionSpans.reserveCapacity(total)
        let blockSize = PagedKVCache.tokensPerBlock
        for (index, entry) in batch.enumerated() {
            guard !entry.tokens.isEmpty else { throw fail("entry \(index) has no tokens") }
            guard entry.startPosition >= 0 else { throw fail("entry \(index) starts at position \(entry.startPosition)") }
            let end = entry.startPosition + entry.tokens.count
            guard end <= c.contextLength else {
                throw fail("entry \(index) reaches position \(end), beyond the context window of \(c.contextLength) tokens")
            }
            guard entry.blockTable.count * blockSize >= end else {
                throw fail("entry \(index) needs \((end + blockSize - 1) / blockSize) blocks for \(end) positions, its table has \(entry.blockTable.count)")
            }
            for block in entry.blockTable where block < 0 || Int(block) >= cache.blockCount {
                throw fail("entry \(index) names block \(block), the cache has \(cache.blockCount)")
            }
            for token in entry.tokens where token < 0 || Int(token) >= c.vocabularySize {
                throw fail("entry \(index) has token \(token) outside the vocabulary of \(c.vocabularySize)")
            }
            let blockOffset = self.flatBlocks.count
            self.flatBlocks.append(contentsOf: entry.blockTable)
            for (offset, token) in entry.tokens.enumerated() {
                let position = entry.startPosition + offset
                self.tokens.append(token)
                self.positions.append(position)
                self.slots.append(KVSlot(block: entry.blockTable[position / blockSize], slot: position % blockSize))
                self.attentionSpans.append(
                    Span(blockOffset: blockOffset, blockCount: entry.blockTable.count, visibleLength: position + 1))
            }
            if entry.needsLogits {
                let first = entry.logitsForEveryToken ? self.tokens.count - entry.tokens.count : self.tokens.count - 1
                for token in first..<self.tokens.count { self.logitRows.append((index, token)) }
            }
        }
    }
}
