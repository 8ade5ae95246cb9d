import Foundation
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import HTTPTypes
import InferenceEngine

extension HTTPField.Name {
    /// A request's queue priority (`low`, `normal`, `high`); the body's `priority` wins.
    static let priority = HTTPField.Name("x-priority")!
}

extension OpenAIRequestHandler {
    /// `/v1/completions` and `/v1/chat/completions`: validate, check the context window,
    /// start one generation per choice, answer whole or as a stream.
    func serveCompletion(
        _ request: HTTPServerRequest, endpoint: CompletionRequest.Endpoint, requestID: RequestID,
        writer: any HTTPResponseWriter
    ) async throws {
        let parsed = try CompletionRequest(endpoint: endpoint, body: request.body)
        guard let engine = self.engines[parsed.model] else { throw APIError.modelNotFound(parsed.model) }
        let trace = RequestTrace.current
        trace?.recordModel(engine)
        let priority = try parsed.priority ?? Self.headerPriority(request.head) ?? .normal

        var generations: [GenerationRequest] = []
        for prompt in parsed.prompts {
            let maxTokens = try Self.maxTokens(for: prompt, of: parsed, engine: engine)
            for choice in 0..<parsed.n {
                var sampling = parsed.sampling
                sampling.seed = parsed.sampling.seed.map { $0 &+ UInt64(choice) }
                let index = generations.count
                let id = parsed.prompts.count * parsed.n == 1 ? requestID : RequestID("\(requestID.rawValue)-\(index)")
                generations.append(GenerationRequest(
                    id: id, prompt: prompt, sampling: sampling, maxTokens: maxTokens,
                    stopSequences: parsed.stopSequences, priority: priority, timeline: trace?.makeTimeline()))
            }
        }

        let context = ResponseContext(
            endpoint: endpoint,
            id: self.responseIDs.next(endpoint),
            created: Int(Date().timeIntervalSince1970),
            model: engine.modelName,
            includeUsage: parsed.includeUsage)
        var headers = HTTPFields()
        headers[.modelVersion] = engine.modelVersion
        let streams = generations.map { engine.generate($0) }
        if parsed.stream {
            try await self.streamCompletion(
                streams, context: context, logprobs: parsed.wantsLogprobs, choicesPerPrompt: parsed.n,
                requestID: requestID, headers: headers, writer: writer)
        } else {
            try await self.completeCompletion(
                streams, context: context, logprobs: parsed.wantsLogprobs, choicesPerPrompt: parsed.n,
                requestID: requestID, headers: headers, writer: writer)
        }
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
        guard let value = head.headerFields[.priority] else { return nil }
        guard let priority = Priority(name: value.trimmingCharacters(in: .whitespaces)) else {
            throw APIError.invalidRequest("Invalid 'x-priority' header: expected low, normal or high.", param: "x-priority")
        }
        return priority
    }

    /// Collects every choice, then answers once. An engine error becomes the response's status.
    func completeCompletion(
        _ streams: [AsyncThrowingStream<GenerationEvent, any Error>], context: ResponseContext, logprobs: Bool,
        choicesPerPrompt: Int, requestID: RequestID, headers: HTTPFields, writer: any HTTPResponseWriter
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
        let usage = Self.totalUsage(choices.map(\.usage), choicesPerPrompt: choicesPerPrompt)
        let body = context.body(choices: choices, usage: usage, logprobs: logprobs)
        try await self.writeJSON(status: .ok, body, requestID: requestID, headers: headers, writer: writer)
    }

    /// The prompt counts once per prompt (not per choice); completions add up.
    static func totalUsage(_ usages: [Usage?], choicesPerPrompt: Int) -> Usage {
        var total = Usage(promptTokens: 0, completionTokens: 0)
        for (index, usage) in usages.enumerated() {
            guard let usage else { continue }
            if index % choicesPerPrompt == 0 { total.promptTokens += usage.promptTokens }
            total.completionTokens += usage.completionTokens
        }
        return total
    }
}
