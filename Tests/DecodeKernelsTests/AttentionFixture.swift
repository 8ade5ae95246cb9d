@testable import DecodeKernels

/// A cache filled with random keys and values for several sequences, their block tables, and
/// both the float inputs and the values as stored (dequantized), for reference computations.
/// Sequences are appended to one token at a time in turn, after a scramble of the pool's free
/// list, so their blocks are interleaved and not contiguous.
final class AttentionFixture {
    let cache: PagedKVCache
    var pool: KVBlockPool
    var tables: [BlockTable] = []
    /// Per sequence, [position][kvHead][dim] flattened: what was written, and what is stored.
    var rawKeys: [[Float]] = []
    var rawValues: [[Float]] = []
    var storedKeys: [[Float]] = []
    var storedValues: [[Float]] = []
    /// The layer the attention tests read (layer 0 holds other data, to catch offset errors).
    let layer = 1

    /// `keyGrowth`: each key's magnitude is multiplied by 1 + keyGrowth · position, so that
    /// scores rise along the positions (0: they do not). `keyOffset`: every key also carries
    /// one common random row times keyOffset (as real keys share a large per-head part).
    init(
        format: KVCacheFormat, kvHeads: Int, headDim: Int, lengths: [Int], seed: UInt64, keyGrowth: Float = 0,
        keyOffset: Float = 0
    ) throws {
        let blocksNeeded = lengths.map { ($0 + 15) / 16 }.reduce(0, +)
        let blockCount = blocksNeeded + 7
        self.cache = try PagedKVCache(layers: 2, kvHeads: kvHeads, headDim: headDim, blockCount: blockCount, format: format)
        self.pool = try KVBlockPool(blockCount: blockCount)
        var random = SplitMix64(seed: seed)

        // Scramble the free list: take some blocks, give back every other one.
        var held: [Int32] = []
        for _ in 0..<7 { held.append(try self.pool.allocate()) }
        for (index, block) in held.enumerated() where index % 2 == 0 { try self.pool.release(block) }

        let rowFloats = kvHeads * headDim
        let common = keyOffset == 0 ? [Float](repeating: 0, count: rowFloats)
            : (0..<rowFloats).map { _ in random.nextFloat(in: -1...1) * keyOffset }
        self.tables = Array(repeating: BlockTable(), count: lengths.count)
        self.rawKeys = lengths.map { _ in [] }
        self.rawValues = lengths.map { _ in [] }
        for position in 0..<(lengths.max() ?? 0) {
            for sequence in lengths.indices where position < lengths[sequence] {
                let plan = try self.pool.append(tokens: 1, to: &self.tables[sequence])
                guard let slot = plan.slots.first else { continue }
                for layer in 0..<2 {
                    // Per-token magnitudes vary so that per-token scales differ.
                    let keyMagnitude = random.nextFloat(in: 0.25...2) * (1 + keyGrowth * Float(position))
                    let valueMagnitude = random.nextFloat(in: 0.25...2)
                    let keys = (0..<rowFloats).map { common[$0] + random.nextFloat(in: -1...1) * keyMagnitude }
                    let values = (0..<rowFloats).map { _ in random.nextFloat(in: -1...1) * valueMagnitude }
                    try self.cache.write(layer: layer, block: slot.block, slot: slot.slot, keys: keys, values: values)
                    if layer == self.layer {
                        self.rawKeys[sequence] += keys
                        self.rawValues[sequence] += values
                    }
                }
            }
        }
        for (index, block) in held.enumerated() where index % 2 == 1 { try self.pool.release(block) }

        for sequence in lengths.indices {
            var keys: [Float] = [], values: [Float] = []
            for position in 0..<lengths[sequence] {
                let block = self.tables[sequence].blocks[position / 16]
                for head in 0..<kvHeads {
                    for d in 0..<headDim {
                        keys.append(try self.cache.storedValue(
                            layer: self.layer, block: block, slot: position % 16, head: head, dimension: d, isKey: true))
                        values.append(try self.cache.storedValue(
                            layer: self.layer, block: block, slot: position % 16, head: head, dimension: d, isKey: false))
                    }
                }
            }
            self.storedKeys.append(keys)
            self.storedValues.append(values)
        }
    }

    /// Runs `pagedAttention` for query tokens given as (sequence, visible length) and returns
    /// the outputs; `queries` holds tokens × queryHeads × headDim Floats. `native` picks the
    /// CKernels loop (where the CPU has it) or the Swift loop; nil calls the public entry point.
    func attend(
        _ tokens: [(sequence: Int, visible: Int)], queries: [Float], queryHeads: Int,
        workspace: AttentionWorkspace, pool: ThreadPool, native: Bool? = nil
    ) throws -> [Float] {
        var batch = AttentionBatch()
        for token in tokens {
            batch.append(table: self.tables[token.sequence], visibleLengths: [token.visible])
        }
        let q = UnsafeMutablePointer<Float>.allocate(capacity: queries.count)
        defer { q.deallocate() }
        q.initialize(from: queries, count: queries.count)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: queries.count)
        defer { out.deallocate() }
        out.initialize(repeating: .nan, count: queries.count)
        try batch.withQueries { (batch) throws(KVCacheError) in
            if let native {
                try pagedAttention(
                    queries: q, tokens: batch, cache: self.cache, layer: self.layer, queryHeads: queryHeads,
                    output: out, workspace: workspace, pool: pool, native: native && nativeAttentionAvailable)
            } else {
                try pagedAttention(
                    queries: q, tokens: batch, cache: self.cache, layer: self.layer,
                    queryHeads: queryHeads, output: out, workspace: workspace, pool: pool)
            }
        }
        let output = Array(UnsafeBufferPointer(start: out, count: queries.count))
        return output
    }
}
