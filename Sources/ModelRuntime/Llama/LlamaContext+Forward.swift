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

        // The work between the matmuls is per token, so each piece is one loop over the tokens
        // on the pool: on the caller alone it left the workers spinning (9% of the CPU time at
        // batch 16 in a profile before the tiled matmul made the matmuls 2× faster).

        // Attention: norm → Q, K, V for every token at once → RoPE → cache → paged attention.
        self.normRows(self.residual, weight: layer.attentionNorm, into: self.normed, count: count)
        // Q, K and V in one grouped call: the normed input is quantized once, one dispatch.
        self.project(
            [MatmulTarget(layer.query, output: self.queries), MatmulTarget(layer.key, output: self.keys),
             MatmulTarget(layer.value, output: self.values)],
            input: self.normed, batch: count)
        let rotary = self.model.rotary
        let (queryRows, keys, values) = (self.queries, self.keys, self.values)
        // Tokens write distinct (block, slot) cells of the cache, so their writes are independent
        // but for one order: a block's slot 0 sets the key anchor its other slots are stored
        // against, so every slot-0 write finishes (in the first pass) before any other slot's.
        let writeError = Mutex<KVCacheError?>(nil)
        let write = { (token: Int) in
            let slot = plan.slots[token]
            do throws(KVCacheError) {
                try cache.write(
                    layer: index, block: slot.block, slot: slot.slot,
                    keys: keys + token * c.kvLength, values: values + token * c.kvLength)
            } catch {
                writeError.withLock { if $0 == nil { $0 = error } }
            }
        }
        pool.parallelFor(count) { token in
            rotary.apply(queryRows + token * c.queryLength, heads: c.headCount, position: plan.positions[token])
            rotary.apply(keys + token * c.kvLength, heads: c.kvHeadCount, position: plan.positions[token])
            if plan.slots[token].slot == 0 { write(token) }
        }
        pool.parallelFor(count) { token in
            if plan.slots[token].slot != 0 { write(token) }
        }
        do {
            if let error = writeError.withLock({ $0 }) { throw error }
            try pagedAttention(
                queries: self.queries, tokens: queries, cache: cache, layer: index, queryHeads: c.headCount,
                output: self.attention, workspace: self.attentionWorkspace, pool: pool)
        } catch {
            throw ModelRuntimeError("KV cache", "\(error)")
        }
        self.project([MatmulTarget(layer.attentionOutput, output: self.projected)], input: self.attention, batch: count)

        // MLP: residual + attention → norm → gate, up → SwiGLU → down.
        self.addResidual(self.projected, count: count, thenNorm: layer.feedForwardNorm)
        self.project(
            [MatmulTarget(layer.gate, output: self.gate), MatmulTarget(layer.up, output: self.up)],
            input: self.normed, batch: count)
        let (gate, up) = (self.gate, self.up)
        pool.parallelFor(count) { token in
            swiGLU(gate: gate + token * c.feedForwardLength, up: up + token * c.feedForwardLength, count: c.feedForwardLength)
        }
        self.project([MatmulTarget(layer.down, output: self.projected)], input: self.gate, batch: count)
        self.addResidual(self.projected, count: count, thenNorm: nil)
    }

    /// residual += `projected` for `count` tokens, then (with `weight`) their RMSNorm into
    /// `normed`, one token per item on the pool.
    private func addResidual(_ projected: UnsafePointer<Float>, count: Int, thenNorm weight: UnsafeBufferPointer<Float>?) {
        let c = self.model.configuration
        let (residual, normed) = (self.residual, self.normed)
        self.pool.parallelFor(count) { token in
            let offset = token * c.embeddingLength
            DecodeKernels.addResidual(projected + offset, into: residual + offset, count: c.embeddingLength)
            if let weight = weight?.baseAddress {
                rmsNorm(residual + offset, weight: weight, count: c.embeddingLength, epsilon: c.rmsNormEpsilon, output: normed + offset)
            }
        }
    }

    /// One grouped matmul: 8-bit activations (`matmul`), or float ones with `floatActivations`.
    private func project<let n: Int>(_ targets: InlineArray<n, MatmulTarget>, input: UnsafePointer<Float>, batch: Int) {
        if self.floatActivations {
            floatMatmul(targets, input: input, batch: batch, pool: self.pool)
        } else {
            matmul(targets, input: input, batch: batch, workspace: self.matmulWorkspace, pool: self.pool)
        }
    }

    /// RMSNorm of `count` rows of the residual width with the model's epsilon, a row per item
    /// on the pool.
    private func normRows(
        _ input: UnsafePointer<Float>, weight: UnsafeBufferPointer<Float>, into output: UnsafeMutablePointer<Float>, count: Int
    ) {
        guard let weight = weight.baseAddress else { return }
        let c = self.model.configuration
        self.pool.parallelFor(count) { row in
            rmsNorm(
                input + row * c.embeddingLength, weight: weight, count: c.embeddingLength, epsilon: c.rmsNormEpsilon,
                output: output + row * c.embeddingLength)
        }
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
