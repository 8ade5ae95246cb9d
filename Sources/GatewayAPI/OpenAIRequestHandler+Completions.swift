import Foundation
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine
import NIOCore

extension HTTPField.Name {
    /// A request's queue priority (`low`, `normal`, `high`); the body's `priority` wins.
    static let priority = HTTPField.Name("x-priority")!
    /// How long a request may wait to start, in seconds; the body's `request_timeout` wins.
    static let requestTimeout = HTTPField.Name("x-request-timeout")!
}

extension OpenAIRequestHandler {
    /// `/v1/completions` and `/v1/chat/completions`: validate, check the context window,
    /// start one generation per choice, answer whole or as a stream.
    func serveCompletion(
        _ request: HTTPServerRequest, endpoint: CompletionRequest.Endpoint, requestID: RequestID,
        writer: any HTTPResponseWriter
    ) async throws {
        guard
            let prepared = try self.prepareCompletion(
                request, endpoint: endpoint, requestID: requestID, trace: RequestTrace.current)
        else { return }
        if let (head, body) = self.immediateCompletion(prepared, requestID: requestID) {
            try await writer.writeResponse(head, body: body)
            return
        }
        let parsed = prepared.request
        let context = self.responseContext(for: prepared)
        let streams = prepared.generations.map { prepared.engine.generate($0) }
        if parsed.stream {
            try await self.streamCompletion(
                streams, context: context, logprobs: parsed.wantsLogprobs, choicesPerPrompt: parsed.n,
                requestID: requestID, headers: Self.engineHeaders(prepared.engine), writer: writer)
        } else {
            try await self.completeCompletion(
                streams, context: context, logprobs: parsed.wantsLogprobs, choicesPerPrompt: parsed.n,
                requestID: requestID, engine: prepared.engine, writer: writer)
        }
    }

    /// A validated completion request: its engine and one generation per choice.
    struct PreparedCompletion {
        var request: CompletionRequest
        var engine: any TextGenerationEngine
        var generations: [GenerationRequest]
    }

    /// Parses and validates the body, finds the engine and checks each prompt against its
    /// context window. Throws `APIError` for anything the client got wrong. With
    /// `immediateOnly`, nil once the engine turns out not to answer at once (before the
    /// prompts are tokenized). `trace` gets the model and a timeline per generation.
    func prepareCompletion(
        _ request: HTTPServerRequest, endpoint: CompletionRequest.Endpoint, requestID: RequestID,
        trace: RequestTrace?, immediateOnly: Bool = false
    ) throws -> PreparedCompletion? {
        let parsed = try CompletionRequest(endpoint: endpoint, body: request.body)
        guard let engine = self.models.engine(for: parsed.model) else { throw APIError.modelNotFound(parsed.model) }
        if immediateOnly, parsed.stream || !engine.answersImmediately { return nil }
        trace?.recordModel(engine)
        let priority = try parsed.priority ?? Self.headerPriority(request.head) ?? .normal
        let requestTimeout = try parsed.requestTimeout ?? Self.headerRequestTimeout(request.head)

        var generations: [GenerationRequest] = []
        for prompt in parsed.prompts {
            let maxTokens = try Self.maxTokens(for: prompt, of: parsed, engine: engine)
            for choice in 0..<parsed.n {
                var sampling = parsed.sampling
                if let defaults = engine.defaultSampling { sampling.applyDefaults(defaults, given: parsed.givenSampling) }
                sampling.seed = parsed.sampling.seed.map { $0 &+ UInt64(choice) }
                let index = generations.count
                let id = parsed.prompts.count * parsed.n == 1 ? requestID : RequestID("\(requestID.rawValue)-\(index)")
                generations.append(GenerationRequest(
                    id: id, prompt: prompt, sampling: sampling, maxTokens: maxTokens,
                    stopSequences: parsed.stopSequences, priority: priority, requestTimeout: requestTimeout,
                    timeline: trace?.makeTimeline()))
            }
        }
        return PreparedCompletion(request: parsed, engine: engine, generations: generations)
    }

    func responseContext(for prepared: PreparedCompletion) -> ResponseContext {
        ResponseContext(
            endpoint: prepared.request.endpoint,
            id: self.responseIDs.next(prepared.request.endpoint),
            // Whole Unix seconds, as Date would give them, without Foundation per response.
            created: Int(time(nil)),
            model: prepared.engine.modelName,
            includeUsage: prepared.request.includeUsage)
    }

    static func engineHeaders(_ engine: any TextGenerationEngine) -> HTTPFields {
        HTTPFields([HTTPField(name: .modelVersion, value: engine.modelVersion)])
    }

    /// The whole non-streamed response (head and JSON body) when the engine answers every
    /// generation at once (`immediateEvents`); nil when the request must be streamed or wait.
    func immediateCompletion(_ prepared: PreparedCompletion, requestID: RequestID) -> (HTTPResponse, ByteBuffer)? {
        let parsed = prepared.request
        guard !parsed.stream,
            let choices = Self.immediateChoices(prepared.generations, engine: prepared.engine, logprobs: parsed.wantsLogprobs)
        else { return nil }
        let usage = Self.totalUsage(choices.lazy.map(\.usage), choicesPerPrompt: parsed.n)
        let body = self.responseContext(for: prepared).body(choices: choices, usage: usage, logprobs: parsed.wantsLogprobs)
        let head = Self.completionHead(bodyLength: body.readableBytes, requestID: requestID, engine: prepared.engine)
        return (head, body)
    }

    /// The completion budget for one prompt: the requested `max_tokens` if prompt plus it fit
    /// the context window (else 400, like OpenAI), or what the window leaves (at most 16 for
    /// completions, OpenAI's default there).
    static func maxTokens(
        for prompt: Prompt, of request: CompletionRequest, engine: any TextGenerationEngine
    ) throws -> Int {
        let param = request.endpoint.promptParam
        let promptTokens: Int
        do {
            promptTokens = try engine.promptTokenCount(prompt)
        } catch {
            throw APIError.from(error, param: param)
        }
        let window = engine.contextLength
        let where_ = request.endpoint == .chat ? "messages" : "prompt"
        guard promptTokens < window else {
            throw APIError.invalidRequest(
                "This model's maximum context length is \(window) tokens. However, your \(where_) resulted in "
                    + "\(promptTokens) tokens. Please reduce the length of the \(where_).",
                param: param, code: "context_length_exceeded")
        }
        let room = window - promptTokens
        guard let requested = request.maxTokens else {
            return request.endpoint == .chat ? room : min(16, room)
        }
        guard requested <= room else {
            throw APIError.invalidRequest(
                "This model's maximum context length is \(window) tokens. However, you requested "
                    + "\(promptTokens + requested) tokens (\(promptTokens) in the \(where_), \(requested) in the "
                    + "completion). Please reduce the length of the \(where_) or completion.",
                param: param, code: "context_length_exceeded")
        }
        return requested
    }

    static func headerPriority(_ head: HTTPRequest) throws -> Priority? {
        guard let value = head.headerFields.value(of: .priority) else { return nil }
        guard let priority = Priority(name: value.trimmingCharacters(in: .whitespaces)) else {
            throw APIError.invalidRequest("Invalid 'x-priority' header: expected low, normal or high.", param: "x-priority")
        }
        return priority
    }

    static func headerRequestTimeout(_ head: HTTPRequest) throws -> Duration? {
        guard let value = head.headerFields[.requestTimeout] else { return nil }
        let text = value.trimmingCharacters(in: .whitespaces)
        // Plain decimal seconds only, so that "nan", "inf" or a hex float never reach Double.
        guard !text.isEmpty, text.utf8.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") }),
            let seconds = Double(text)
        else {
            throw APIError.invalidRequest(
                "Invalid 'x-request-timeout' header: expected a number of seconds, such as 2.5.", param: "x-request-timeout")
        }
        return try CompletionRequest.requestTimeout(seconds: seconds, param: "x-request-timeout")
    }

    /// Collects every choice, then answers once. An engine error becomes the response's status.
    func completeCompletion(
        _ streams: [AsyncThrowingStream<GenerationEvent, any Error>], context: ResponseContext, logprobs: Bool,
        choicesPerPrompt: Int, requestID: RequestID, engine: any TextGenerationEngine, writer: any HTTPResponseWriter
    ) async throws {
        let choices = try await GenerationFanOut.run(streams) { events in
            var choices = Array(repeating: ChoiceResult(), count: streams.count)
            var running = streams.count
            while let event = await events.next() {
                switch event {
                case .event(let choice, let generationEvent):
                    choices[choice].apply(generationEvent, keepTokens: logprobs)
                    if case .finished = generationEvent { running -= 1 }
                case .failed(_, let error):
                    throw APIError.from(error)
                }
                if running == 0 { return choices }
            }
            throw CancellationError()
        }
        let usage = Self.totalUsage(choices.lazy.map(\.usage), choicesPerPrompt: choicesPerPrompt)
        let body = context.body(choices: choices, usage: usage, logprobs: logprobs)
        let head = Self.completionHead(bodyLength: body.readableBytes, requestID: requestID, engine: engine)
        try await writer.writeResponse(head, body: body)
    }

    /// Every choice of a non-streamed response when the engine answers each generation at
    /// once (`immediateEvents`); nil when any must be streamed.
    static func immediateChoices(
        _ generations: [GenerationRequest], engine: any TextGenerationEngine, logprobs: Bool
    ) -> [ChoiceResult]? {
        var choices: [ChoiceResult] = []
        choices.reserveCapacity(generations.count)
        for generation in generations {
            guard let events = engine.immediateEvents(generation) else { return nil }
            var choice = ChoiceResult()
            for event in events { choice.apply(event, keepTokens: logprobs) }
            choices.append(choice)
        }
        return choices
    }

    /// The prompt counts once per prompt (not per choice); completions add up.
    static func totalUsage(_ usages: some Sequence<Usage?>, choicesPerPrompt: Int) -> Usage {
        var total = Usage(promptTokens: 0, completionTokens: 0)
        for (index, usage) in usages.enumerated() {
            guard let usage else { continue }
            if index % choicesPerPrompt == 0 { total.promptTokens += usage.promptTokens }
            total.completionTokens += usage.completionTokens
        }
        return total
    }
}
