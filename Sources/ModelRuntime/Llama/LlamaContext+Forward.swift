import DecodeKernels
import Synchronization

extension LlamaContext {
    /// Runs one step of a mixed batch: every entry's tokens go through all layers together
    /// (their K/V written into `cache` at their positions, attention causal within each
    /// sequence), and the next-token logits come back for each entry that asks for them.
    ///
    /// Returns one array per entry, in order: `vocabularySize` logits after the entry's last
    /// token when `needsLogits` (`tokens.count × vocabularySize`, token-major, with
    /// `logitsForEveryToken`), else empty. The whole batch is validated before any work, so
    /// a bad entry (token out of range, too few blocks, past the context window, more tokens
    /// than `maxBatchTokens`) throws without touching the cache.
    public func forward(_ batch: [LlamaBatchEntry], cache: PagedKVCache) throws -> [[Float]] {
        try self.lock.withLock { _ in
            let plan = try LlamaBatchPlan(batch: batch, context: self, cache: cache)
            try self.runLayers(plan, cache: cache)
            return self.computeLogits(plan, batch: batch)
        }
    }

    private func runLayers(_ plan: LlamaBatchPlan, cache: PagedKVCache) throws {
        let c = self.model.configuration
        let count = plan.tokens.count
        let dimension = c.embeddingLength
        let embedding = self.model.tokenEmbedding
        let residual = self.residual
        self.pool.parallelFor(count) { index in
            let row = embedding.data + Int(plan.tokens[index]) * embedding.rowBytes
            dequantizeRow(embedding.type, row, count: dimension, into: residual + index * dimension)
        }
        try plan.flatBlocks.withUnsafeBufferPointer { blocks in
            guard let base = blocks.baseAddress else { return }
            let queries = plan.attentionSpans.map { span in
                AttentionQuery(blocks: base + span.blockOffset, blockCount: span.blockCount, visibleLength: span.visibleLength)
            }
            try queries.withUnsafeBufferPointer { queries in
                for (index, layer) in self.model.layers.enumerated() {
                    try self.runLayer(index, layer, plan: plan, queries: queries, cache: cache)
                }
            }
        }
    }

    private func runLayer(
        _ index: Int, _ layer: LlamaLayerWeights, plan: LlamaBatchPlan,
        queries: UnsafeBufferPointer<AttentionQuery>, cache: PagedKVCache
    ) throws {
        let c = self.model.configuration
        let count = plan.tokens.count
        let pool = self.pool

        // Attention: norm → Q, K, V for every token at once → RoPE → cache → paged attention.
        self.normRows(self.residual, weight: layer.attentionNorm, into: self.normed, count: count)
        // Q, K and V in one grouped call: the normed input is quantized once, one dispatch.
        self.project(
            [MatmulTarget(layer.query, output: self.queries), MatmulTarget(layer.key, output: self.keys),
             MatmulTarget(layer.value, output: self.values)],
            input: self.normed, batch: count)
        let rotary = self.model.rotary
        for token in 0..<count {
            rotary.apply(self.queries + token * c.queryLength, heads: c.headCount, position: plan.positions[token])
            rotary.apply(self.keys + token * c.kvLength, heads: c.kvHeadCount, position: plan.positions[token])
        }
        do {
            for token in 0..<count {
                let slot = plan.slots[token]
                try cache.write(
                    layer: index, block: slot.block, slot: slot.slot,
                    keys: self.keys + token * c.kvLength, values: self.values + token * c.kvLength)
            }
            try pagedAttention(
                queries: self.queries, tokens: queries, cache: cache, layer: index, queryHeads: c.headCount,
                output: self.attention, workspace: self.attentionWorkspace, pool: pool)
        } catch {
            throw ModelRuntimeError("KV cache", "\(error)")
        }
        self.project([MatmulTarget(layer.attentionOutput, output: self.projected)], input: self.attention, batch: count)
        addResidual(self.projected, into: self.residual, count: count * c.embeddingLength)

        // MLP: norm → gate, up → SwiGLU → down.
        self.normRows(self.residual, weight: layer.feedForwardNorm, into: self.normed, count: count)
        self.project(
            [MatmulTarget(layer.gate, output: self.gate), MatmulTarget(layer.up, output: self.up)],
            input: self.normed, batch: count)
        swiGLU(gate: self.gate, up: self.up, count: count * c.feedForwardLength)
        self.project([MatmulTarget(layer.down, output: self.projected)], input: self.gate, batch: count)
        addResidual(self.projected, into: self.residual, count: count * c.embeddingLength)
    }

    /// One grouped matmul: 8-bit activations (`matmul`), or float ones with `floatActivations`.
    private func project<let n: Int>(_ targets: InlineArray<n, MatmulTarget>, input: UnsafePointer<Float>, batch: Int) {
        if self.floatActivations {
            floatMatmul(targets, input: input, batch: batch, pool: self.pool)
        } else {
            matmul(targets, input: input, batch: batch, workspace: self.matmulWorkspace, pool: self.pool)
        }
    }

    /// RMSNorm of `count` rows of the residual width with the model's epsilon.
    private func normRows(
        _ input: UnsafePointer<Float>, weight: UnsafeBufferPointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int
    ) {
        guard let weight = weight.baseAddress else { return }
        let c = self.model.configuration
        rmsNorm(input, weight: weight, count: c.embeddingLength, rows: count, epsilon: c.rmsNormEpsilon, output: output)
    }

    /// Final norm and output head for the rows that want logits, `logitRowsPerPass` at a time.
    private func computeLogits(_ plan: LlamaBatchPlan, batch: [LlamaBatchEntry]) -> [[Float]] {
        let c = self.model.configuration
        var result = [[Float]](repeating: [], count: batch.count)
        let wanted = plan.logitRows
        for (index, entry) in batch.enumerated() where entry.needsLogits {
            result[index].reserveCapacity((entry.logitsForEveryToken ? entry.tokens.count : 1) * c.vocabularySize)
        }
        var first = 0
        while first < wanted.count {
            let rows = min(Self.logitRowsPerPass, wanted.count - first)
            for row in 0..<rows {
                let token = wanted[first + row].token
                self.normRows(
                    self.residual + token * c.embeddingLength, weight: self.model.outputNorm,
                    into: self.logitInputs + row * c.embeddingLength, count: 1)
            }
            self.project([MatmulTarget(self.model.output, output: self.logits)], input: self.logitInputs, batch: rows)
            for row in 0..<rows {
                let source = UnsafeBufferPointer(start: self.logits + row * c.vocabularySize, count: c.vocabularySize)
                result[wanted[first + row].entry].append(contentsOf: source)
            }
            first += rows
        }
        return result
    }
}
