import GatewayCore
import InferenceEngine
import Synchronization

/// An engine whose generations follow a script: fixed tokens (with log-probabilities), then a
/// finish or an error; or a refusal before the first token. It records the requests it got and
/// whether each stream was torn down early (cancelled).
final class ScriptedEngine: TextGenerationEngine {
    enum Script: Sendable {
        case tokens([String], then: FinishReason)
        case tokensThenError([String], GenerationError)
        case refuse(any Error)
        /// Tokens one every `interval`, for as long as the consumer listens.
        case endless(interval: Duration)
    }

    let modelName: String
    let modelVersion = "7"
    let contextLength: Int
    let script: Script
    private let log = Mutex<(requests: [GenerationRequest], terminations: [Bool])>(([], []))

    init(name: String = "scripted", contextLength: Int = 64, script: Script) {
        self.modelName = name
        self.contextLength = contextLength
        self.script = script
    }

    var requests: [GenerationRequest] { self.log.withLock { $0.requests } }
    /// One entry per ended stream: true when it was cancelled rather than finished.
    var terminations: [Bool] { self.log.withLock { $0.terminations } }

    func promptTokenCount(_ prompt: Prompt) throws -> Int {
        switch prompt {
        case .text(let text):
            if text == "invalid" { throw GenerationError(.invalidRequest, "The prompt cannot be tokenized.") }
            return text.split(separator: " ").count
        case .chat(let messages): return messages.reduce(0) { $0 + $1.content.split(separator: " ").count }
        }
    }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        self.log.withLock { $0.requests.append(request) }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self)
        continuation.onTermination = { termination in
            let cancelled: Bool
            if case .cancelled = termination { cancelled = true } else { cancelled = false }
            self.log.withLock { $0.terminations.append(cancelled) }
        }
        let usage = { (count: Int) in Usage(promptTokens: (try? self.promptTokenCount(request.prompt)) ?? 0, completionTokens: count) }
        switch self.script {
        case .tokens(let texts, let reason):
            for (index, text) in texts.enumerated() { continuation.yield(.token(Self.token(text, index: index))) }
            continuation.yield(.finished(reason, usage(texts.count)))
            continuation.finish()
        case .tokensThenError(let texts, let error):
            for (index, text) in texts.enumerated() { continuation.yield(.token(Self.token(text, index: index))) }
            continuation.finish(throwing: error)
        case .refuse(let error):
            continuation.finish(throwing: error)
        case .endless(let interval):
            // Bounded so a test that forgets to cancel still ends.
            let producer = Task {
                for index in 0..<10_000 {
                    try await Task.sleep(for: interval)
                    continuation.yield(.token(Self.token("tick", index: index)))
                }
                continuation.yield(.finished(.length, usage(10_000)))
                continuation.finish()
            }
            continuation.onTermination = { termination in
                producer.cancel()
                let cancelled: Bool
                if case .cancelled = termination { cancelled = true } else { cancelled = false }
                self.log.withLock { $0.terminations.append(cancelled) }
            }
        }
        return stream
    }

    static func token(_ text: String, index: Int) -> GeneratedToken {
        GeneratedToken(
            id: Int32(index), text: text,
            logprob: TokenLogprob(token: text, logprob: -0.5, bytes: Array(text.utf8)),
            topLogprobs: [
                TokenLogprob(token: text, logprob: -0.5, bytes: Array(text.utf8)),
                TokenLogprob(token: "other", logprob: -1.25, bytes: Array("other".utf8)),
            ])
    }
}
