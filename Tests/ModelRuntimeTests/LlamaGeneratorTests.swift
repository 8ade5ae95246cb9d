import DecodeKernels
import ModelRuntime
import Testing

@Suite struct LlamaGeneratorTests {
    static func generator(capacity: Int? = nil, in directory: TemporaryDirectory) throws -> LlamaGenerator {
        let model = try LlamaForwardTests.load(in: directory)
        let context = LlamaContext(model: model, maxBatchTokens: 16, pool: LlamaForwardTests.pool)
        let sequence = try LlamaSequence(context: context, format: .int8, capacity: capacity)
        return LlamaGenerator(sequence: sequence, endOfSequence: nil)
    }

    static func greedy() throws -> Sampler { try Sampler(configuration: SamplerConfiguration(temperature: 0)) }

    @Test func stopsAtMaxTokensAndStreamsEachToken() throws {
        let directory = try TemporaryDirectory()
        let generator = try Self.generator(in: directory)
        var sampler = try Self.greedy()
        var streamed: [Int32] = []
        let result = try generator.generate(prompt: LlamaForwardTests.tokens(20, seed: 1), maxTokens: 6, sampler: &sampler) {
            streamed.append($0)
        }
        #expect(result.stopReason == .maxTokens && result.tokens.count == 6 && streamed == result.tokens)
        #expect(result.promptTokenCount == 20 && result.decodeSteps == 5)
        #expect(generator.sequence.blockPool.usedCount == 0)
        // Greedy is deterministic, and the chunk size of the prefill does not change the result.
        var chunked = generator
        chunked.prefillChunk = 3
        var again = try Self.greedy()
        let second = try chunked.generate(prompt: LlamaForwardTests.tokens(20, seed: 1), maxTokens: 6, sampler: &again) { _ in }
        #expect(second.tokens == result.tokens)
    }

    @Test func stopsAtEndOfSequenceAndStopTokensWithoutEmittingThem() throws {
        let directory = try TemporaryDirectory()
        var generator = try Self.generator(in: directory)
        var sampler = try Self.greedy()
        let prompt = LlamaForwardTests.tokens(10, seed: 2)
        let free = try generator.generate(prompt: prompt, maxTokens: 3, sampler: &sampler) { _ in }
        let third = free.tokens[2]

        generator.endOfSequence = third
        sampler = try Self.greedy()
        let eos = try generator.generate(prompt: prompt, maxTokens: 10, sampler: &sampler) { _ in }
        // Greedy on a random model may repeat itself: generation ends at the first occurrence.
        let firstThird = free.tokens.firstIndex(of: third) ?? 0
        #expect(eos.stopReason == .endOfSequence && eos.tokens == Array(free.tokens.prefix(firstThird)))

        generator.endOfSequence = nil
        generator.stopTokenIDs = [free.tokens[1]]
        sampler = try Self.greedy()
        let stop = try generator.generate(prompt: prompt, maxTokens: 10, sampler: &sampler) { _ in }
        let firstSecond = free.tokens.firstIndex(of: free.tokens[1]) ?? 0
        #expect(stop.stopReason == .stopToken && stop.tokens == Array(free.tokens.prefix(firstSecond)))
    }

    @Test func stopsAtTheContextWindow() throws {
        let directory = try TemporaryDirectory()
        let generator = try Self.generator(in: directory)
        var sampler = try Self.greedy()
        // A 60-token prompt in a 64-token window: 4 more positions, and a fifth token that
        // needs no position of its own.
        let result = try generator.generate(prompt: LlamaForwardTests.tokens(60, seed: 1), maxTokens: 100, sampler: &sampler) { _ in }
        #expect(result.stopReason == .contextWindow && result.tokens.count == 5)
        #expect(generator.sequence.blockPool.usedCount == 0)
    }

    @Test func promptLongerThanTheContextWindowIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let generator = try Self.generator(in: directory)
        var sampler = try Self.greedy()
        #expect(throws: ModelRuntimeError("prompt", "65 tokens exceed the context window of 64 tokens")) {
            try generator.generate(prompt: LlamaForwardTests.tokens(65, seed: 1), maxTokens: 4, sampler: &sampler) { _ in }
        }
        #expect(throws: ModelRuntimeError.self) {
            try generator.generate(prompt: [], maxTokens: 4, sampler: &sampler) { _ in }
        }
        #expect(generator.sequence.blockPool.usedCount == 0)
    }
}
