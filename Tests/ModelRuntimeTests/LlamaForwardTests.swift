import DecodeKernels
import ModelRuntime
import Testing

@Suite struct LlamaForwardTests {
    static let pool = ThreadPool(threadCount: 2)

    /// Writes a tiny random model and loads it.
    static func load(_ tiny: TinyLlama = TinyLlama(), in directory: TemporaryDirectory) throws -> LlamaModel {
        let path = directory.file("tiny.gguf")
        try tiny.write(to: path)
        return try LlamaModel(path: path)
    }

    static func tokens(_ count: Int, seed: Int, vocabulary: Int = 80) -> [Int32] {
        (0..<count).map { Int32((($0 + 1) * 37 + seed * 11) % vocabulary) }
    }

    /// max |a − b| / max |b|: the error relative to the logits' scale.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.reduce(0) { max($0, abs($1)) }
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / max(scale, 1e-6)
    }

    @Test func loadsConfigurationAndWeights() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let c = model.configuration
        #expect(c.headCount == 4 && c.kvHeadCount == 2 && c.headDimension == 16)
        #expect(c.blockCount == 2 && c.vocabularySize == 80 && c.contextLength == 64)
        #expect(model.layers[1].key.rows == 32 && model.layers[1].key.columns == 64)
        #expect(model.output.type == .q8_0 && model.output.rows == 80)
        var tied = TinyLlama()
        tied.tiedOutput = true
        let tiedModel = try Self.load(tied, in: directory)
        #expect(tiedModel.output.data == tiedModel.tokenEmbedding.data)
    }

    /// F32 weights use float dot products, so only the fp16 KV cache separates the runtime
    /// from the float64 reference; quantized weights add the 8-bit activations of the
    /// integer dot products.
    @Test(arguments: [(QuantType.f32, QuantType.f32, Float(2e-3)), (.q8_0, .q4_1, 0.06), (.f16, .q4_0, 0.06)])
    func matchesTheFloat64Reference(tableType: QuantType, projectionType: QuantType, tolerance: Float) throws {
        let directory = try TemporaryDirectory()
        var tiny = TinyLlama()
        tiny.tableType = tableType
        tiny.projectionType = projectionType
        let model = try Self.load(tiny, in: directory)
        let reference = try ReferenceLlama(model: model)
        let context = LlamaContext(model: model, maxBatchTokens: 32, pool: Self.pool)
        let sequence = try LlamaSequence(context: context, format: .fp16)
        let prompt = Self.tokens(21, seed: 3)
        let expected = reference.logits(prompt)
        // Every position: the first 9 tokens as one chunk (logits after each), then one at a time.
        var worst: Float = 0
        let chunk = try sequence.appendReturningEveryLogit(Array(prompt[0..<9]))
        for index in 0..<9 {
            let row = Array(chunk[(index * 80)..<(index * 80 + 80)])
            worst = max(worst, Self.relativeError(row, expected[index].map(Float.init)))
        }
        for index in 9..<prompt.count {
            let logits = try sequence.append([prompt[index]])
            worst = max(worst, Self.relativeError(logits, expected[index].map(Float.init)))
        }
        print("tiny model (\(tableType)/\(projectionType)) vs float64 reference: worst relative logit error \(worst) over \(prompt.count) positions")
        #expect(worst < tolerance)
    }

    /// With the quantized formats this also checks the KV write order: the two threads
    /// write one chunk's tokens at once, and a block's slot 0 sets the key anchor that its
    /// other slots are stored against.
    @Test(arguments: [KVCacheFormat.fp16, .int8, .fp8])
    func oneChunkEqualsChunkedEqualsTokenByToken(format: KVCacheFormat) throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 64, pool: Self.pool)
        let prompt = Self.tokens(37, seed: 5)
        let whole = try LlamaSequence(context: context, format: format)
        let oneChunk = try whole.append(prompt)
        let chunked = try LlamaSequence(context: context, format: format)
        let inChunks = try chunked.append(prompt, chunkSize: 5)
        let single = try LlamaSequence(context: context, format: format)
        var stepwise: [Float] = []
        for token in prompt { stepwise = try single.append([token]) }
        #expect(Self.relativeError(inChunks, oneChunk) < 1e-4)
        #expect(Self.relativeError(stepwise, oneChunk) < 1e-4)
        #expect(whole.length == 37 && chunked.length == 37 && single.length == 37)
    }

    @Test(arguments: [KVCacheFormat.fp16, .int8, .fp8])
    func mixedBatchEqualsEachSequenceAlone(format: KVCacheFormat) throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 64, pool: Self.pool)
        let cache = try context.makeCache(blockCount: 16, format: format)
        var pool = try KVBlockPool(blockCount: 16)
        let prompts = [Self.tokens(20, seed: 1), Self.tokens(7, seed: 2), Self.tokens(9, seed: 4)]
        var tables = [BlockTable(), BlockTable(), BlockTable()]
        func entry(_ index: Int, _ range: Range<Int>, logits: Bool = true) throws -> LlamaBatchEntry {
            let start = tables[index].tokenCount
            _ = try pool.append(tokens: range.count, to: &tables[index])
            return LlamaBatchEntry(
                tokens: Array(prompts[index][range]), startPosition: start, blockTable: tables[index].blocks, needsLogits: logits)
        }
        // Step 1: all of A's prompt but its last token, and the start of B's (no logits).
        _ = try context.forward([try entry(0, 0..<19, logits: false), try entry(1, 0..<5, logits: false)], cache: cache)
        // Step 2, mixed: A's last prompt token (a one-token step, like a decode), the rest of
        // B's prompt, and all of C's.
        let mixed = try context.forward([try entry(0, 19..<20), try entry(1, 5..<7), try entry(2, 0..<9)], cache: cache)

        for index in 0..<3 {
            let alone = try LlamaSequence(context: context, format: format)
            let expected = try alone.append(prompts[index])
            #expect(Self.relativeError(mixed[index], expected) < 1e-4, "sequence \(index)")
        }
        for index in 0..<3 { try pool.free(&tables[index]) }
        #expect(pool.usedCount == 0)
    }

    @Test func entriesWithoutLogitsReturnNone() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 64, pool: Self.pool)
        let cache = try context.makeCache(blockCount: 4, format: .int8)
        let result = try context.forward(
            [
                LlamaBatchEntry(tokens: [1, 2, 3], startPosition: 0, blockTable: [0], needsLogits: false),
                LlamaBatchEntry(tokens: [4], startPosition: 0, blockTable: [1]),
            ], cache: cache)
        #expect(result[0].isEmpty && result[1].count == 80)
        #expect(result[1].allSatisfy { $0.isFinite })
    }

    @Test func badBatchesAreErrors() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 8, pool: Self.pool)
        let cache = try context.makeCache(blockCount: 4, format: .int8)
        func rejects(_ entries: [LlamaBatchEntry], _ fragment: String) {
            do {
                _ = try context.forward(entries, cache: cache)
                Issue.record("accepted a bad batch (\(fragment))")
            } catch let error as ModelRuntimeError {
                #expect(error.description.contains(fragment), "\(error)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        rejects([LlamaBatchEntry(tokens: [80], startPosition: 0, blockTable: [0])], "outside the vocabulary")
        rejects([LlamaBatchEntry(tokens: [-1], startPosition: 0, blockTable: [0])], "outside the vocabulary")
        rejects([LlamaBatchEntry(tokens: [1], startPosition: 16, blockTable: [0])], "needs 2 blocks")
        rejects([LlamaBatchEntry(tokens: [1], startPosition: 0, blockTable: [9])], "names block 9")
        rejects([LlamaBatchEntry(tokens: Array(repeating: 1, count: 9), startPosition: 0, blockTable: [0])], "maximum batch of 8")
        rejects([LlamaBatchEntry(tokens: [1], startPosition: 64, blockTable: [0, 1, 2, 3, 0])], "context window of 64")
        rejects([LlamaBatchEntry(tokens: [], startPosition: 0, blockTable: [0])], "no tokens")
        let wrongShape = try PagedKVCache(layers: 3, kvHeads: 2, headDim: 16, blockCount: 4, format: .int8)
        #expect(throws: ModelRuntimeError.self) {
            try context.forward([LlamaBatchEntry(tokens: [1], startPosition: 0, blockTable: [0])], cache: wrongShape)
        }
    }

    @Test func promptLongerThanTheContextIsAnErrorAndLeaksNothing() throws {
        let directory = try TemporaryDirectory()
        let model = try Self.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 16, pool: Self.pool)
        let sequence = try LlamaSequence(context: context, format: .int8)
        #expect(throws: ModelRuntimeError("prompt", "65 tokens exceed the context window of 64 tokens")) {
            try sequence.append(Self.tokens(65, seed: 1))
        }
        #expect(sequence.blockPool.usedCount == 0)
        _ = try sequence.append(Self.tokens(60, seed: 1))
        #expect(sequence.blockPool.usedCount == 4)
        #expect(throws: ModelRuntimeError.self) { try sequence.append(Self.tokens(5, seed: 2)) }
        // A failing pass (a token outside the vocabulary) resets the sequence.
        #expect(throws: ModelRuntimeError.self) { try sequence.append([1, 2, 500]) }
        #expect(sequence.blockPool.usedCount == 0 && sequence.length == 0)
    }
}
