@testable import DecodeKernels
import Testing

/// `pagedAttention` against a float64 reference on random data. Two comparisons per case:
/// against the reference over the values as stored (dequantized) — tight, since only float32
/// rounding and the fast exp2 differ — and against the reference over the unquantized inputs,
/// looser by the format's rounding: fp16 keeps 11 significant bits, int8 rounds to
/// absmax/254 per (token, head), fp8-e4m3 to 1/16 relative; those errors pass through the
/// scores' softmax and the weighted value sum.
@Suite struct AttentionTests {
    static let pool = ThreadPool(threadCount: 3)

    static func looseTolerance(_ format: KVCacheFormat) -> Double {
        switch format {
        case .fp16: return 4e-3
        case .int8: return 3e-2
        case .fp8: return 1.5e-1
        }
    }

    /// Max absolute error of `output` against both references, over all tokens given.
    func errors(
        _ fixture: AttentionFixture, _ tokens: [(sequence: Int, visible: Int)], queries: [Float], output: [Float],
        queryHeads: Int, headDim: Int
    ) -> (stored: Double, raw: Double) {
        let kvHeads = fixture.cache.kvHeads
        let row = queryHeads * headDim
        var stored = 0.0, raw = 0.0
        for (index, token) in tokens.enumerated() {
            let query = queries[index * row..<(index + 1) * row]
            let exact = referenceAttention(
                query: query, keys: fixture.storedKeys[token.sequence], values: fixture.storedValues[token.sequence],
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

    func randomQueries(count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextFloat(in: -4...4) }
    }

    @Test(arguments: KVCacheFormat.allCases, [1, 2, 3, 4, 8])
    func decodeBatchMatchesReference(format: KVCacheFormat, groupSize: Int) throws {
        let kvHeads = 2, headDim = 64
        let lengths = [1, 15, 16, 17, 100]
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: UInt64(groupSize * 10 + 1))
        let queryHeads = kvHeads * groupSize
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 99)
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim)
        #expect(error.stored <= 1e-5, "\(format) group \(groupSize): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format) group \(groupSize): \(error)")
    }

    @Test(arguments: KVCacheFormat.allCases, [16, 48, 128])
    func headDimensionsThatAreMultiplesOf16(format: KVCacheFormat, headDim: Int) throws {
        let kvHeads = 3, queryHeads = 9
        let lengths = [33, 7, 64]
        let fixture = try AttentionFixture(format: format, kvHeads: kvHeads, headDim: headDim, lengths: lengths, seed: 7)
        let tokens = lengths.indices.map { (sequence: $0, visible: lengths[$0]) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: UInt64(headDim))
        let output = try fixture.attend(
            tokens, queries: queries, queryHeads: queryHeads, workspace: AttentionWorkspace(), pool: Self.pool)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim)
        #expect(error.stored <= 1e-5, "\(format) headDim \(headDim): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format) headDim \(headDim): \(error)")
    }

    /// One call mixing a causal prefill chunk (positions 20..<37 of sequence 0), a whole short
    /// prompt (sequence 2), and decode tokens of sequences 1 and 3 (lengths 100 and 1).
    @Test(arguments: KVCacheFormat.allCases)
    func mixedPrefillAndDecodeBatch(format: KVCacheFormat) throws {
        let kvHeads = 3, queryHeads = 9, headDim = 64
        let fixture = try AttentionFixture(
            format: format, kvHeads: kvHeads, headDim: headDim, lengths: [37, 100, 5, 1], seed: 21)
        var tokens: [(sequence: Int, visible: Int)] = [(1, 100)]
        tokens += (20..<37).map { (sequence: 0, visible: $0 + 1) }
        tokens += [(3, 1)]
        tokens += (0..<5).map { (sequence: 2, visible: $0 + 1) }
        let queries = randomQueries(count: tokens.count * queryHeads * headDim, seed: 4)
        let workspace = AttentionWorkspace()
        let output = try fixture.attend(tokens, queries: queries, queryHeads: queryHeads, workspace: workspace, pool: Self.pool)
        let error = errors(fixture, tokens, queries: queries, output: output, queryHeads: queryHeads, headDim: headDim)
        #expect(error.stored <= 1e-5, "\(format): \(error)")
        #expect(error.raw <= Self.looseTolerance(format), "\(format): \(error)")

        // The same workspace serves a later call with another shape, single-threaded too.
        let again = try fixture.attend(
            [(1, 50)], queries: Array(queries.prefix(queryHeads * headDim)), queryHeads: queryHeads,
            workspace: workspace, pool: ThreadPool(threadCount: 1))
        let single = errors(
            fixture, [(1, 50)], queries: Array(queries.prefix(queryHeads * headDim)), output: again,
            queryHeads: queryHeads, headDim: headDim)
        #expect(single.stored <= 1e-5)
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
