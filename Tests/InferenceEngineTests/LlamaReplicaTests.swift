import GatewayCore
import InferenceEngine
import Testing

/// The real SmolLM2 weights, which `make test` fetches before running the tests.
let smolLM2Directory: String = {
    let testFile = #filePath
    let root = testFile.split(separator: "/").dropLast(3).joined(separator: "/")
    return "/" + root + "/Models/smollm2/1"
}()

/// One replica shared by the suite: loading the model once keeps the tests quick.
let sharedReplica: Result<LlamaReplica, any Error> = Result {
    var configuration = LlamaReplica.Configuration()
    configuration.kvTokens = 4096
    configuration.threads = 2
    return try LlamaReplica(manifest: ModelManifest.load(directory: smolLM2Directory), configuration: configuration)
}

func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> (text: String, ids: [Int32], finish: FinishReason?, usage: Usage?) {
    var text = ""
    var ids: [Int32] = []
    var finish: FinishReason?
    var usage: Usage?
    for try await event in stream {
        switch event {
        case .token(let token):
            text += token.text
            ids.append(token.id)
        case .finished(let reason, let counts):
            finish = reason
            usage = counts
        }
    }
    return (text, ids, finish, usage)
}

func greedyChat(_ content: String, maxTokens: Int = 24, stop: [String] = []) -> GenerationRequest {
    var sampling = SamplingParameters()
    sampling.temperature = 0
    return GenerationRequest(
        id: .random(), prompt: .chat([ChatMessage(role: "user", content: content)]), sampling: sampling,
        maxTokens: maxTokens, stopSequences: stop)
}

@Suite(.serialized) struct LlamaReplicaTests {
    /// The float64 reference (Tests/ModelRuntimeTests/Resources/reference-golden.json) opens
    /// this answer with "Photosynthesis is a vital biological process", each of those tokens
    /// ahead of the runner-up by a logit margin of at least 1.1, so 8-bit rounding cannot flip
    /// them. ("What is the capital of France?" is no good here: its first token wins by 0.08.)
    @Test func answersAChatQuestion() async throws {
        let replica = try sharedReplica.get()
        let result = try await collect(replica.generate(greedyChat("Explain photosynthesis in one sentence.")))
        #expect(result.text.hasPrefix("Photosynthesis is a"))
        #expect(result.finish != nil)
        #expect(result.usage?.completionTokens == result.ids.count)
    }

    @Test func batchedGreedyRequestsMatchTheirSoloRuns() async throws {
        let replica = try sharedReplica.get()
        let prompts = ["Name a colour.", "Count to five.", "What is 2 + 2?", "Say hello in French."]
        var solo: [[Int32]] = []
        for prompt in prompts {
            solo.append(try await collect(replica.generate(greedyChat(prompt, maxTokens: 16))).ids)
        }
        let batched = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask { (index, try await collect(replica.generate(greedyChat(prompt, maxTokens: 16))).ids) }
            }
            var results = [[Int32]](repeating: [], count: prompts.count)
            for try await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(batched == solo)
    }

    @Test func maxTokensEndsWithLengthAndSeededSamplingRepeats() async throws {
        let replica = try sharedReplica.get()
        var request = greedyChat("Tell me a story about a dragon.", maxTokens: 8)
        request.sampling.temperature = 0.9
        request.sampling.seed = 42
        let first = try await collect(replica.generate(request))
        let second = try await collect(replica.generate(request))
        #expect(first.finish == .length)
        #expect(first.ids.count == 8)
        #expect(first.ids == second.ids)
    }

    @Test func stopSequenceCutsTheText() async throws {
        let replica = try sharedReplica.get()
        let full = try await collect(replica.generate(greedyChat("Explain photosynthesis in one sentence.", maxTokens: 24)))
        let words = full.text.split(separator: " ")
        try #require(words.count > 3)
        let stop = String(words[2])
        let cut = try await collect(
            replica.generate(greedyChat("Explain photosynthesis in one sentence.", maxTokens: 24, stop: [stop])))
        #expect(cut.finish == .stop)
        #expect(!cut.text.contains(stop))
        #expect(full.text.hasPrefix(cut.text))
    }

    @Test func cancellingAStreamFreesItsBlocks() async throws {
        let replica = try sharedReplica.get()
        let task = Task {
            var received = 0
            for try await event in replica.generate(greedyChat("Write a long essay about the ocean.", maxTokens: 400)) {
                if case .token = event { received += 1 }
                if received == 3 { break }
            }
        }
        try await task.value
        var statistics = replica.statistics
        for _ in 0..<200 where statistics.usedBlocks != 0 || statistics.running != 0 {
            try await Task.sleep(for: .milliseconds(10))
            statistics = replica.statistics
        }
        #expect(statistics.usedBlocks == 0)
        #expect(statistics.running == 0)
    }

    @Test func aPromptLongerThanTheContextIsRefused() async throws {
        let replica = try sharedReplica.get()
        let long = String(repeating: "word ", count: replica.contextLength + 10)
        await #expect(throws: GenerationError.self) {
            _ = try await collect(replica.generate(GenerationRequest(id: .random(), prompt: .text(long), maxTokens: 4)))
        }
    }
}
