import DecodeKernels
import ModelRuntime
import Testing

/// The real default model, SmolLM2-135M-Instruct (Q4_1), end to end: tokenizer, chat
/// template, forward pass over the paged cache, sampler, detokenizer.
@Suite struct SmolLM2Tests {
    static let pool = ThreadPool()

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

    @Test func greedyChatCompletionNamesParis() throws {
        let loaded = try Self.load()
        let prompt = try loaded.tokenizer.encode(
            loaded.template.render([.user("What is the capital of France?")]), addSpecial: true)
        let sequence = try LlamaSequence(context: loaded.context, format: .int8, capacity: prompt.count + 48)
        let generator = LlamaGenerator(
            sequence: sequence, endOfSequence: loaded.tokenizer.eosTokenID,
            stopTokenIDs: Set(try loaded.template.stopTokenIDs(in: loaded.tokenizer)))
        var sampler = try Sampler(configuration: SamplerConfiguration(temperature: 0))
        var detokenizer = StreamingDetokenizer(tokenizer: loaded.tokenizer)
        var text = ""
        let result = try generator.generate(prompt: prompt, maxTokens: 48, sampler: &sampler) { token in
            text += detokenizer.append(token)
        }
        text += detokenizer.finish()
        print("SmolLM2 greedy: \(text.debugDescription) (\(result.stopReason), prefill \(result.prefillTokensPerSecond) tokens/s, decode \(result.decodeTokensPerSecond) tokens/s)")
        #expect(text.contains("Paris"))
        #expect(sequence.blockPool.usedCount == 0)
    }
}
