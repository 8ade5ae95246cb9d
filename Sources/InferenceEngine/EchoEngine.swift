import GatewayCore
import Synchronization

/// A model without model compute: it streams the prompt back, one whitespace-preserving word
/// piece per token (`"Hello world"` → `"Hello"`, `" world"`). Chat echoes the last user
/// message; completions echo the prompt. It exercises the transport and API for tests and
/// overhead benchmarks, and honours `maxTokens`, stop sequences, log-probability requests
/// (every piece is certain: logprob 0) and cancellation like a real engine.
public struct EchoEngine: TextGenerationEngine {
    public let modelName: String
    public let modelVersion: String
    /// In pieces.
    public let contextLength: Int
    /// Pause before each piece, to make streams last (tests of cancellation and interleaving).
    public let tokenInterval: Duration

    public init(
        modelName: String = "echo", modelVersion: String = "1", contextLength: Int = 8192,
        tokenInterval: Duration = .zero
    ) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.contextLength = contextLength
        self.tokenInterval = tokenInterval
    }

    /// Pieces of the whole prompt (every message's content, for chat).
    public func promptTokenCount(_ prompt: Prompt) -> Int {
        switch prompt {
        case .text(let text): Self.pieceCount(of: text)
        case .chat(let messages): messages.reduce(0) { $0 + Self.pieceCount(of: $1.content) }
        }
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let plan = EchoPlan(request: request, engine: self)
        let topLogprobs = request.sampling.topLogprobs
        let cursor = EchoCursor()
        let interval = self.tokenInterval
        let timeline = request.timeline
        timeline?.record { timeline in
            timeline.arrival = .now
            timeline.replica = "\(self.modelName)@\(self.modelVersion)"
        }
        // Pull-driven: a piece is made only when the consumer asks, so a consumer that stops
        // (or is cancelled) ends the generation with nothing left running. (Measured: cheaper
        // than a continuation-fed stream even with nothing to wait for.)
        return AsyncThrowingStream {
            guard !Task.isCancelled else {
                timeline?.record { $0.recordCancellation(at: .now) }
                return nil
            }
            guard let step = cursor.advance(), step <= plan.pieces.count else { return nil }
            if step == plan.pieces.count {
                timeline?.record { plan.recordFinish(into: &$0) }
                return .finished(plan.finishReason, plan.usage)
            }
            let start = ContinuousClock.now
            if interval > .zero {
                // A cancelled sleep ends the stream quietly, like a cancelled next().
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else {
                    timeline?.record { $0.recordCancellation(at: .now) }
                    return nil
                }
            }
            timeline?.record { plan.recordStep(step, start: start, into: &$0) }
            return .token(plan.token(at: step, logprobs: topLogprobs))
        }
    }

    /// Without a token interval nothing waits: the whole answer is known at once.
    public var answersImmediately: Bool { self.tokenInterval == .zero }

    public func immediateEvents(_ request: GenerationRequest) -> [GenerationEvent]? {
        guard self.answersImmediately else { return nil }
        let plan = EchoPlan(request: request, engine: self)
        let topLogprobs = request.sampling.topLogprobs
        var events: [GenerationEvent] = []
        events.reserveCapacity(plan.pieces.count + 1)
        for step in plan.pieces.indices {
            events.append(.token(plan.token(at: step, logprobs: topLogprobs)))
        }
        events.append(.finished(plan.finishReason, plan.usage))
        // The trace sees what `generate` would have reported, taken in one lock: the prompt's
        // prefill made the first piece, one decode step each made the others, all just now.
        request.timeline?.record { timeline in
            let now = ContinuousClock.now
            timeline.arrival = now
            timeline.replica = "\(self.modelName)@\(self.modelVersion)"
            for step in plan.pieces.indices { plan.recordStep(step, start: now, into: &timeline) }
            plan.recordFinish(into: &timeline)
        }
        return events
    }

    /// ASCII answers without the Unicode property tables (most prompts are ASCII).
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09...0x0D: true
        case 0..<0x80: false
        default: scalar.properties.isWhitespace
        }
    }

    /// `pieces(of: text).count` without making the pieces: a piece ends wherever whitespace
    /// follows a word, and whatever remains is one more.
    public static func pieceCount(of text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            if Self.isWhitespace(scalar) {
                if inWord { count += 1 }
                inWord = false
            } else {
                inWord = true
            }
        }
        return text.isEmpty ? 0 : count + 1
    }

    /// Splits text into pieces that each hold a run of whitespace and the word after it, so
    /// joining the pieces gives the text back exactly.
    public static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        // Room for a short prompt's words at once, instead of regrowing from one.
        pieces.reserveCapacity(8)
        var start = text.unicodeScalars.startIndex
        var inWord = false
        // Scalars, not Characters: whitespace is a scalar property and grapheme breaking is
        // needless work here (a combining mark stays with the word before it either way).
        for index in text.unicodeScalars.indices {
            if Self.isWhitespace(text.unicodeScalars[index]) {
                if inWord {
                    pieces.append(String(text.unicodeScalars[start..<index]))
                    start = index
                    inWord = false
                }
            } else {
                inWord = true
            }
        }
        if start < text.unicodeScalars.endIndex { pieces.append(String(text.unicodeScalars[start...])) }
        return pieces
    }
}

/// What one echo generation emits, worked out up front: the pieces (the last one cut short
/// where a stop sequence begins), why it ends, and its usage.
struct EchoPlan: Sendable {
    var pieces: [String]
    var finishReason: FinishReason
    var usage: Usage

    init(request: GenerationRequest, engine: EchoEngine) {
        let source: String
        switch request.prompt {
        case .text(let text): source = text
        case .chat(let messages): source = messages.last(where: { $0.role == "user" })?.content ?? ""
        }
        let all = EchoEngine.pieces(of: source)
        let promptTokens: Int
        if case .text = request.prompt { promptTokens = all.count } else { promptTokens = engine.promptTokenCount(request.prompt) }
        let budget = max(0, min(request.maxTokens, engine.contextLength - promptTokens))
        var pieces = Array(all.prefix(budget))
        var reason: FinishReason = pieces.count < all.count ? .length : .stop

        // Stop sequences are found in bytes: a stop sequence starts on a scalar boundary, so
        // cutting there keeps the text valid. (Without any, the joined text is not needed.)
        let bytes = request.stopSequences.isEmpty ? [] : Array(pieces.joined().utf8)
        let stopOffset = request.stopSequences.compactMap { stop -> Int? in
            bytes.firstRange(of: Array(stop.utf8))?.lowerBound
        }.min()
        if let stopOffset {
            var kept: [String] = []
            var offset = 0
            for piece in pieces where offset < stopOffset {
                let length = piece.utf8.count
                kept.append(offset + length <= stopOffset ? piece : String(decoding: piece.utf8.prefix(stopOffset - offset), as: UTF8.self))
                offset += length
            }
            pieces = kept
            reason = .stop
        }
        self.pieces = pieces
        self.finishReason = reason
        self.usage = Usage(promptTokens: promptTokens, completionTokens: pieces.count)
    }

    /// The first piece comes out of a "prefill" of the whole prompt; every later one out of a
    /// decode step of a batch of one, as a real replica would report them.
    func recordStep(_ step: Int, start: ContinuousClock.Instant, into timeline: inout RequestTimeline) {
        let end = ContinuousClock.now
        if step == 0 {
            timeline.admitted = start
            timeline.prefillChunks.append(
                RequestTimeline.PrefillChunk(
                    start: start, end: end, tokens: self.usage.promptTokens, startPosition: 0,
                    stepTokens: self.usage.promptTokens, stepSequences: 1, producedToken: true))
        } else {
            timeline.decode.record(start: start, end: end, batchSize: 1, producedToken: true)
        }
        timeline.recordToken(at: end)
    }

    func recordFinish(into timeline: inout RequestTimeline) {
        let now = ContinuousClock.now
        if timeline.admitted == nil { timeline.admitted = now }
        timeline.finished = now
        timeline.finishReason = self.finishReason.rawValue
    }

    func token(at index: Int, logprobs topCount: Int?) -> GeneratedToken {
        let text = self.pieces[index]
        guard let topCount else { return GeneratedToken(id: Int32(truncatingIfNeeded: index), text: text) }
        let certain = TokenLogprob(token: text, logprob: 0, bytes: Array(text.utf8))
        return GeneratedToken(
            id: Int32(truncatingIfNeeded: index), text: text, logprob: certain,
            topLogprobs: topCount > 0 ? [certain] : [])
    }
}

/// The position of one echo generation. A class so the stream's closure can advance it; the
/// mutex makes that safe even if two tasks were to pull at once.
final class EchoCursor: Sendable {
    private let next = Mutex(0)

    /// The step to produce now, or nil once the finish event has been handed out.
    func advance() -> Int? {
        self.next.withLock { next in
            defer { next += 1 }
            return next
        }
    }
}
