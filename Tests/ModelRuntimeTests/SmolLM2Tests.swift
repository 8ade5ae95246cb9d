import DecodeKernels
import ModelRuntime
import Testing

/// The real default model, SmolLM2-135M-Instruct (Q4_1), end to end: tokenizer, chat
/// template, forward pass over the paged cache, sampler, detokenizer.
@Suite struct SmolLM2Tests {
    /// One worker: the real-model suites run side by side under Swift Testing, and on a busy
    /// machine a pool per suite spinning over the same cores only slows every suite down.
    static let pool = ThreadPool(threadCount: 1)

    struct Loaded {
        let file: GGUFFile
        let model: LlamaModel
        let tokenizer: Tokenizer
        let template: ChatTemplate
        let context: LlamaContext
    }

    static func load() throws -> Loaded {
        let file = try GGUFFile(path: RealModel.path)
        let model = try LlamaModel(file: file)
        return Loaded(
            file: file, model: model, tokenizer: try Tokenizer(gguf: file), template: try ChatTemplate(gguf: file),
            context: LlamaContext(model: model, maxBatchTokens: 128, pool: Self.pool))
    }

    @Test func configurationFromMetadata() throws {
        let model = try LlamaModel(path: RealModel.path)
        let c = model.configuration
        #expect(c.blockCount == 30 && c.embeddingLength == 576 && c.feedForwardLength == 1536)
        #expect(c.headCount == 9 && c.kvHeadCount == 3 && c.headDimension == 64)
        #expect(c.contextLength == 8192 && c.vocabularySize == 49152)
        #expect(c.ropeFrequencyBase == 100_000 && c.rmsNormEpsilon == 1e-5)
        // Tied output head: the Q8_0 token embedding.
        #expect(model.output.data == model.tokenEmbedding.data && model.output.type == .q8_0)
    }

    /// Greedy completion of `prompt` (then `forced`, if any) with `format` KV, as text.
    static func greedyCompletion(
        _ loaded: Loaded, prompt: [Int32], forced: [Int32] = [], format: KVCacheFormat, maxTokens: Int = 40
    ) throws -> (text: String, tokens: [Int32]) {
        let sequence = try LlamaSequence(context: loaded.context, format: format, capacity: prompt.count + forced.count + maxTokens)
        let generator = LlamaGenerator(
            sequence: sequence, endOfSequence: loaded.tokenizer.eosTokenID,
            stopTokenIDs: Set(try loaded.template.stopTokenIDs(in: loaded.tokenizer)))
        var sampler = try Sampler(configuration: SamplerConfiguration(temperature: 0))
        var detokenizer = StreamingDetokenizer(tokenizer: loaded.tokenizer)
        var text = forced.map { detokenizer.append($0) }.joined()
        let result = try generator.generate(prompt: prompt + forced, maxTokens: maxTokens, sampler: &sampler) { token in
            text += detokenizer.append(token)
        }
        text += detokenizer.finish()
        #expect(sequence.blockPool.usedCount == 0)
        return (text, forced + result.tokens)
    }

    /// The first answer token is a near-tie in float64 (the reference golden: "The" 25.325
    /// over "L" 25.243, a margin of 0.08 logits), well inside what 8-bit activations move a
    /// logit (about 0.3 here; ggml quantizes activations the same way), so plain greedy may
    /// open either way; "L" leads to a French digression. So: greedy from the chat prompt
    /// either answers Paris or opens with that runner-up; and with the tie resolved as
    /// float64 resolves it, greedy completes the answer with Paris in every KV format.
    @Test func greedyChatCompletionNamesParis() throws {
        let loaded = try Self.load()
        let prompt = try loaded.tokenizer.encode(
            loaded.template.render([.user("What is the capital of France?")]), addSpecial: true)
        let the = try #require(loaded.tokenizer.tokenID(for: "The"))
        let runnerUp = try #require(loaded.tokenizer.tokenID(for: "L"))
        let plain = try Self.greedyCompletion(loaded, prompt: prompt, format: .int8)
        print("SmolLM2 greedy (int8 KV): \(plain.text.debugDescription)")
        #expect(plain.text.contains("Paris") || plain.tokens.first == runnerUp)
        for format in KVCacheFormat.allCases {
            let resolved = try Self.greedyCompletion(loaded, prompt: prompt, forced: [the], format: format)
            print("SmolLM2 greedy after \"The\" (\(format.rawValue) KV): \(resolved.text.debugDescription)")
            #expect(resolved.text.contains("Paris"), "\(format.rawValue)")
        }
    }
}
