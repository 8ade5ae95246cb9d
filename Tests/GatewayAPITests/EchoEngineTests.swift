import GatewayCore
import InferenceEngine
import Testing

@Suite struct EchoEngineTests {
    func run(_ request: GenerationRequest, engine: EchoEngine = EchoEngine()) async throws -> (String, [GenerationEvent]) {
        var events: [GenerationEvent] = []
        for try await event in engine.generate(request) { events.append(event) }
        let text = events.reduce(into: "") { if case .token(let token) = $1 { $0 += token.text } }
        return (text, events)
    }

    @Test func piecesKeepTheirWhitespace() {
        #expect(EchoEngine.pieces(of: "Hello  big\nworld ") == ["Hello", "  big", "\nworld", " "])
        #expect(EchoEngine.pieces(of: "  lead") == ["  lead"])
        #expect(EchoEngine.pieces(of: "") == [])
        for text in ["", " ", "a", "Hello  big\nworld ", "  lead", "a b c", "tail  ", "\u{3000}wide\u{3000}space", "é ü"] {
            #expect(EchoEngine.pieceCount(of: text) == EchoEngine.pieces(of: text).count, "\(text.debugDescription)")
        }
        #expect(EchoEngine().promptTokenCount(.chat([ChatMessage(role: "system", content: "a b"), ChatMessage(role: "user", content: "c")])) == 3)
    }

    @Test func echoesTheLastUserMessageAndFinishes() async throws {
        let prompt = Prompt.chat([
            ChatMessage(role: "user", content: "first"), ChatMessage(role: "assistant", content: "ok"),
            ChatMessage(role: "user", content: "say it back"),
        ])
        let (text, events) = try await self.run(GenerationRequest(id: RequestID("t"), prompt: prompt, maxTokens: 10))
        #expect(text == "say it back")
        #expect(events.last == .finished(.stop, Usage(promptTokens: 5, completionTokens: 3)))
    }

    @Test func maxTokensCutsWithLength() async throws {
        let (text, events) = try await self.run(GenerationRequest(id: RequestID("t"), prompt: .text("a b c d"), maxTokens: 2))
        #expect(text == "a b")
        #expect(events.last == .finished(.length, Usage(promptTokens: 4, completionTokens: 2)))
    }

    @Test func stopSequenceInsideAPieceCutsThePiece() async throws {
        let request = GenerationRequest(id: RequestID("t"), prompt: .text("one twoXthree four"), maxTokens: 10, stopSequences: ["X", "four"])
        let (text, events) = try await self.run(request)
        #expect(text == "one two")
        #expect(events.last == .finished(.stop, Usage(promptTokens: 3, completionTokens: 2)))
    }

    @Test func stopSequenceBeyondMaxTokensDoesNotApply() async throws {
        let request = GenerationRequest(id: RequestID("t"), prompt: .text("a b c"), maxTokens: 1, stopSequences: ["c"])
        let (text, events) = try await self.run(request)
        #expect(text == "a")
        #expect(events.last == .finished(.length, Usage(promptTokens: 3, completionTokens: 1)))
    }

    @Test func logprobsAreCertain() async throws {
        var sampling = SamplingParameters()
        sampling.topLogprobs = 3
        let (_, events) = try await self.run(GenerationRequest(id: RequestID("t"), prompt: .text("hi"), sampling: sampling, maxTokens: 4))
        guard case .token(let token) = events.first else { Issue.record("no token"); return }
        #expect(token.logprob == TokenLogprob(token: "hi", logprob: 0, bytes: Array("hi".utf8)))
        #expect(token.topLogprobs.count == 1)
    }

    @Test func cancellationEndsTheStreamAtOnce() async throws {
        let engine = EchoEngine(tokenInterval: .milliseconds(20))
        let words = Array(repeating: "w", count: 1000).joined(separator: " ")
        let counted = Task {
            var count = 0
            for try await _ in engine.generate(GenerationRequest(id: RequestID("t"), prompt: .text(words), maxTokens: 1000)) {
                count += 1
            }
            return count
        }
        try await Task.sleep(for: .milliseconds(100))
        counted.cancel()
        let count = try await counted.value
        #expect(count < 1000)
    }
}
