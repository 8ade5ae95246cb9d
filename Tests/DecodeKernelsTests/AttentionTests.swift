@testable import DecodeKernels
import Testing

/// `pagedAttention` against a float64 reference on random data. Two comparisons per case:
/// against the reference over the values as stored (dequantized) — tight, since only float32
/// rounding and the fast exp2 differ — and against the reference over the unquantized inputs,
/// looser by the format's rounding: fp16 keeps 11 significant bits, int8 rounds to
/// absmax/254 per (token, head), fp8-e4m3 to 1/16 relative; those errors pass through the
/// scores' softmax and the weighted value sum. (Measured maxima with these seeds: stored ≤ 1.1e-6
/// for every format; unquantized fp16 ≤ 1e-3, int8 ≤ 1.8e-2, fp8 ≤ 0.11 with outputs up to ~2.)
/// The main cases run both loops: Swift (`native: false`) and CKernels' AVX-512 (`native: true`,
/// int8 and fp16, where the CPU has AVX-512 with VNNI; elsewhere it falls back to Swift). The
/// native int8 loop rounds each head's query to two int8 parts (scale absmax/127, and the
/// residual in steps 254 times finer) before its integer dot products, so its "stored" reference is computed over that rounded query, exactly as
/// the kernel sees it: the tight tolerance still holds, and the rounding's own effect is
/// covered by the loose comparison with the unquantized inputs. int8 and fp8 rows are stored
/// rotated (`KVRotation`): on these uniform random rows, which have no outlier channels for the
/// rotation to spread, it makes the rows Gaussian-like and their absmax ~1.5× larger, so the
/// int8 step and its loose tolerance grow (measured ≤ 3.2e-2 with the query rounding; 4e-2).
@Suite struct AttentionTests {
    static let pool = ThreadPool(threadCount: 3)

    static func looseTolerance(_ format: KVCacheFormat) -> Double {
        switch format {
        case .fp16: return 4e-3
        case .int8: return 4e-2
        case .fp8: return 1.5e-1
        }
    }

    /// Max absolute error of `output` against both references, over all tokens given.
    func errors(
        _ fixture: AttentionFixture, _ tokens: [(sequence: Int, visible: Int)], queries: [Float], output: [Float],
        queryHeads: Int, headDim: Int, native: Bool
    ) -> (stored: Double, raw: Double) {
        let kvHeads = fixture.cache.kvHeads
        let row = queryHeads * headDim
        let roundsQuery = native && nativeAttentionAvailable && fixture.cache.format == .int8
        var stored = 0.0, raw = 0.0
        for (index, token) in tokens.enumerated() {
            let query = queries[index * row..<(index + 1) * row]
            let seen = roundsQuery ? int8RoundedQuery(Array(query), heads: queryHeads, headDim: headDim) : Array(query)
            let exact = referenceAttention(
                query: seen[...], keys: fixture.storedKeys[token.sequence], values: fixture.storedValues[token.sequence],
                visible: token.visible, queryHeads: queryHeads, kvHeads: kvHeads, headDim: headDim)
            let unquantized = referenceAttention(
                query: query, keys: fixture.rawKeys[token.sequence], values: fixture.rawValues[token.sequence],
                visible: token.visible, queryHeads: queryHeads, kvHeads: kvHeads, headDim: headDim)
            for i in 0..<row {
                let value = Double(output[index * row + i])
                stored = max(stored, abs(value - exact[i]))
                raw = max(raw, abs(value - unquantized[i]))
                if value.isNaN { stored = .infinity }
            }
        }
        return (stored, raw)
    }

    /// `errors` of the Swift loop and of the native loop on the same fixture, tokens and queries.
    func errorsOfBothLoops(
        _ fixture: AttentionFixture, _ tokens: [(sequence: Int, visible: Int)], queries: [Float], queryHeads: Int
    ) throws -> [(native: Bool, error: (stored: Double, raw: Double))] {
        let headDim = fixture.cache.headDim
        return try [false, true].map { native in
            let output = try fixture.attend(
                tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool,
                native: native)
            return (native, errors(
                fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: native))
        }
    }

    /// A token's query as the native int8 loop uses it: rotated by `KVRotation` as
    /// `pagedAttention` does for int8 caches, scaled by log2(e)/sqrt(headDim) as the kernel
    /// does, rounded per head to two int8 parts (absmax/127 and the residual in steps of
    /// absmax/(127·254), nearest even), scaled back and rotated back
    /// (the rotation is its own inverse), so it pairs with the unrotated stored keys.
    func int8RoundedQuery(_ query: [Float], heads: Int, headDim: Int) -> [Float] {
        let queryScale = 1.442_695_04 / Float(headDim).squareRoot()
        let block = KVRotation.blockSize(headDim: headDim)
        var query = query
        query.withUnsafeMutableBufferPointer { KVRotation.apply($0.baseAddress!, count: heads * headDim, block: block) }
        var rounded = query
        for head in 0..<heads {
            let scaled = query[head * headDim..<(head + 1) * headDim].map { $0 * queryScale }
            let absmax = scaled.map { abs($0) }.max() ?? 0
            let inverse: Float = absmax > 0 ? 127 / absmax : 0
            let scale = absmax / 127
            for (d, value) in scaled.enumerated() {
                let x = value * inverse
                let level = x.rounded(.toNearestOrEven)
                let residual = ((x - level) * 254).rounded(.toNearestOrEven)
                let exact = Double(level) * Double(scale) + Double(residual) * Double(scale) / 254
                rounded[head * headDim + d] = Float(exact / Double(queryScale))
            }
        }
        rounded.withUnsafeMutableBufferPointer { KVRotation.apply($0.baseAddress!, count: heads * headDim, block: block) }
        return rounded
    }

    func randomQueries(count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextFloat(in: -4...4) }
    }

    @Test(arguments: KVCacheFormat.allCases, [1, 2, 3, 4, 8])
    func decodeBatchMatchesReference(format: KVCacheFormat, groupSize: Int) throws {
        for native in [false, true] {
            try decodeBatch(format: format, groupSize: groupSize, native: native)
        }
    }

    func decodeBatch(format: KVCacheFormat, groupSize: Int, native: Bool) throws {
        let kvHeads = 2, headDim = 64
        let lengths = [1, 15, 16, 17, 100]
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: UInt64(groupSize * 10 + 1))
        let queryHeads = kvHeads * groupSize
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 99)
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool,
            native: native)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: native)
        #expect(error.stored <= 1e-5, "\(format) group \(groupSize) native \(native): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format) group \(groupSize) native \(native): \(error)")
    }

    /// Keys that grow along the positions make scores rise block after block, so the running
    /// maximum keeps moving past the native loop's lazy-rescale threshold (2^8 in base 2) and
    /// every rescale path runs; the output must still match the reference over the stored
    /// values (a tolerance relative to the larger scores' float32 rounding).
    @Test(arguments: KVCacheFormat.allCases)
    func risingScoresRescaleTheRunningSoftmax(format: KVCacheFormat) throws {
        let kvHeads = 3, queryHeads = 9, headDim = 64
        let lengths = [300, 45, 1]
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: 5, keyGrowth: 0.05)
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 17)
        for (native, error) in try errorsOfBothLoops(fixture, tokens, queries: queries, queryHeads: queryHeads) {
            #expect(error.stored <= 1e-3, "\(format) native \(native): \(error)")
        }
    }

    /// Keys that share a common part 8 times their own spread (as SmolLM2's do): int8 and fp8
    /// store each key relative to its block's fp16 anchor (the block's first key), so their
    /// rounding follows the keys' spread, not their size, and both loops — the native one
    /// adding q·anchor per block with its rounded query — match the float64 references.
    @Test(arguments: [KVCacheFormat.int8, .fp8])
    func keysWithACommonPartAreStoredAgainstTheBlockAnchor(format: KVCacheFormat) throws {
        let kvHeads = 3, queryHeads = 9, headDim = 64
        let lengths = [70, 16, 1]
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: 31, keyOffset: 8)
        // Per stored element, the error against what was written: residuals between two keys
        // of a block are within ±4 per element, int8 rounds them (rotated) to absmax/254, fp8 to
        // 1/16 relative, the anchor to fp16 (measured worst: int8 0.031).
        var worst = 0.0
        for sequence in lengths.indices {
            for (stored, raw) in zip(fixture.storedKeys[sequence], fixture.rawKeys[sequence]) {
                worst = max(worst, Double(abs(stored - raw)))
            }
        }
        #expect(worst <= (format == .int8 ? 0.05 : 0.3), "\(format) worst key error \(worst)")
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 23).map { $0 / 8 }
        for (native, error) in try errorsOfBothLoops(fixture, tokens, queries: queries, queryHeads: queryHeads) {
            #expect(error.stored <= 1e-4, "\(format) native \(native): \(error)")
            #expect(error.raw <= Self.looseTolerance(format), "\(format) native \(native): \(error)")
        }
    }

    @Test(arguments: KVCacheFormat.allCases, [16, 48, 128])
    func headDimensionsThatAreMultiplesOf16(format: KVCacheFormat, headDim: Int) throws {
        for native in [false, true] {
            try headDimension(format: format, headDim: headDim, native: native)
        }
    }

    func headDimension(format: KVCacheFormat, headDim: Int, native: Bool) throws {
        let kvHeads = 3, queryHeads = 9
        let lengths = [33, 7, 64]
        let fixture = try AttentionFixture(format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: 7)
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: UInt64(headDim))
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool,
            native: native)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: native)
        #expect(error.stored <= 1e-5, "\(format) headDim \(headDim) native \(native): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format) headDim \(headDim): \(error)")
    }

    /// One call mixing a causal prefill chunk (positions 20..<37 of sequence 0), a whole short
    /// prompt (sequence 2), and decode tokens of sequences 1 and 3 (lengths 100 and 1).
    @Test(arguments: KVCacheFormat.allCases, [false, true])
    func mixedPrefillAndDecodeBatch(format: KVCacheFormat, native: Bool) throws {
        let kvHeads = 3, queryHeads = 9, headDim = 64
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: [37, 100, 5, 1], seed: 21)
        var tokens: [(sequence: Int, visible: Int)] = [(1, 100)]
        tokens += (20..<37).map { (sequence: 0, visible: $0 + 1) }
        tokens += [(3, 1)]
        tokens += (0..<5).map { (sequence: 2, visible: $0 + 1) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 4)
        let workspace = AttentionWorkspace()
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: workspace, pool: Self.pool, native: native)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: native)
        #expect(error.stored <= 1e-5, "\(format): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format): \(error)")

        // The same workspace serves a later call with another shape, single-threaded too.
        let again = try fixture.attend(
            [(1, 50)], queries: Array(queries.prefix(queryHeads * headDim)), queryHeads: queryHeads,
            workspace: workspace, pool: ThreadPool(threadCount: 1), native: native)
        let single = errors(
            fixture, [(1, 50)], queries: Array(queries.prefix(queryHeads * headDim)), output: again,
            queryHeads: queryHeads, headDim: headDim, native: native)
        #expect(single.stored <= 1e-5)
    }

    /// Few items and long sequences: each item is split along its positions and the parts are
    /// merged (sequence 1 is shorter than one part, so some parts are empty).
    @Test(arguments: KVCacheFormat.allCases, [false, true])
    func splitItemsMatchReference(format: KVCacheFormat, native: Bool) throws {
        let kvHeads = 1, queryHeads = 3, headDim = 64
        let lengths = [300, 5]
        #expect(attentionSplits(items: 2, threads: Self.pool.threadCount, longestBlocks: 19) == 3)
        let fixture = try AttentionFixture(format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: 17)
        let tokens = [(sequence: 0, visible: 300), (sequence: 1, visible: 5)]
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 8)
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool, native: native)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: native)
        #expect(error.stored <= 1e-5, "\(format) native \(native): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format) native \(native): \(error)")
    }

    /// Batch-1 decode of SmolLM2's shape (3 items) over a long sequence on more threads than
    /// items: every item is split, and one workspace then serves an unsplit batch.
    @Test(arguments: [KVCacheFormat.int8, .fp16])
    func batchOneDecodeSplitsAcrossThreads(format: KVCacheFormat) throws {
        let kvHeads = 3, queryHeads = 9, headDim = 64
        let pool = ThreadPool(threadCount: 4)
        #expect(attentionSplits(items: 3, threads: 4, longestBlocks: 63) == 3)
        let fixture = try AttentionFixture(format: format, kvHeads: kvHeads, headDim: headDim, lengths: [1000, 3, 17], seed: 5)
        let workspace = AttentionWorkspace()
        for tokens in [[(sequence: 0, visible: 1000)], [(0, 1000), (1, 3), (2, 17), (0, 999)]] {
            let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 12)
            let output = try fixture.attend(
                tokens, queries: queries, queryHeads: queryHeads, workspace: workspace, pool: pool, native: true)
            let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim, native: true)
            #expect(error.stored <= 1e-5, "\(format) \(tokens.count) tokens: \(error)")
            #expect(error.raw <= Self.looseTolerance(format), "\(format) \(tokens.count) tokens: \(error)")
        }
    }

    @Test func splitsOnlyWhenThreadsWouldIdle() {
        #expect(attentionSplits(items: 48, threads: 2, longestBlocks: 256) == 1)
        #expect(attentionSplits(items: 3, threads: 2, longestBlocks: 256) == 2)
        #expect(attentionSplits(items: 3, threads: 16, longestBlocks: 256) == 11)
        #expect(attentionSplits(items: 3, threads: 16, longestBlocks: 10) == 2)
        #expect(attentionSplits(items: 1, threads: 4, longestBlocks: 3) == 1)
    }

    @Test func blocksAreNotContiguous() throws {
        let fixture = try AttentionFixture(format: .int8, kvHeads: 1, headDim: 16, lengths: [40, 40], seed: 1)
        let blocks = fixture.tables[0].blocks
        #expect(zip(blocks, blocks.dropFirst()).contains { $1 != $0 + 1 })
        var pool = fixture.pool
        for index in fixture.tables.indices { try pool.free(&fixture.tables[index]) }
        #expect(pool.freeCount == fixture.cache.blockCount)
    }

    @Test func badArgumentsAreThrownBeforeWork() throws {
        let fixture = try AttentionFixture(format: .int8, kvHeads: 2, headDim: 16, lengths: [20], seed: 2)
        let workspace = AttentionWorkspace()
        let queries = randomQueries(count: 4 * 16, seed: 3)
        for visible in [0, 33] {
            #expect(throws: KVCacheError.self) {
                try fixture.attend([(0, visible)], queries: queries, queryHeads: 4, workspace: workspace, pool: Self.pool)
            }
        }
        #expect(throws: KVCacheError.self) {
            try fixture.attend([(0, 20)], queries: queries, queryHeads: 3, workspace: workspace, pool: Self.pool)
        }
        fixture.tables[0].blocks[1] = 1000
        #expect(throws: KVCacheError.unknownBlock(1000)) {
            try fixture.attend([(0, 20)], queries: queries, queryHeads: 4, workspace: workspace, pool: Self.pool)
        }
    }
}
