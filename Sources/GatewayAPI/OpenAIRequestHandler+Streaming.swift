import GatewayCore
import HTTPTransport
import HTTPTypes
import Logging

extension OpenAIRequestHandler {
    /// Streams chunks as server-sent events. The head waits for the first event, so an engine
    /// that refuses the request (overloaded, unavailable) still gets its own status; a failure
    /// after that becomes an `error` event before `[DONE]`. A writer that throws (the client
    /// left) ends everything at once: the fan-out cancels the generations on the way out.
    func streamCompletion(
        _ streams: [AsyncThrowingStream<GenerationEvent, any Error>], context: ResponseContext, logprobs: Bool,
        choicesPerPrompt: Int, requestID: RequestID, headers: HTTPFields, writer: any HTTPResponseWriter
    ) async throws {
        try await GenerationFanOut.run(streams) { events in
            guard var pending = await events.next() else { throw CancellationError() }
            if case .failed(_, let error) = pending { throw APIError.from(error) }

            var head = HTTPResponse(status: .ok, headerFields: headers)
            head.headerFields[.contentType] = "text/event-stream"
            head.headerFields[.cacheControl] = "no-cache"
            head.headerFields[.requestID] = requestID.rawValue
            try await writer.writeHead(head)
            if context.endpoint == .chat {
                for choice in streams.indices { try await writer.writeBody(context.roleChunk(index: choice)) }
            }

            var offsets = Array(repeating: 0, count: streams.count)
            var usages: [Usage?] = Array(repeating: nil, count: streams.count)
            var running = streams.count
            while running > 0 {
                switch pending {
                case .event(let choice, .token(let token)):
                    // An empty piece (half a character) says nothing unless it carries a logprob.
                    if !token.text.isEmpty || (logprobs && token.logprob != nil) {
                        try await writer.writeBody(
                            context.tokenChunk(index: choice, token: token, offset: offsets[choice], logprobs: logprobs))
                        offsets[choice] += token.text.unicodeScalars.count
                    }
                case .event(let choice, .finished(let reason, let usage)):
                    try await writer.writeBody(context.finishChunk(index: choice, reason: reason))
                    usages[choice] = usage
                    running -= 1
                case .failed(_, let error):
                    let apiError = APIError.from(error)
                    self.logger.debug("generation failed mid-stream", metadata: [
                        "request_id": "\(requestID)", "error": "\(apiError.message)",
                    ])
                    try await writer.writeBody(context.errorEvent(apiError))
                    try await writer.writeBody(ServerSentEvents.done())
                    try await writer.finish()
                    return
                }
                if running == 0 { break }
                // The task was cancelled: leave the response unfinished so the transport resets it.
                guard let next = await events.next() else { return }
                pending = next
            }
            if context.includeUsage {
                let usage = Self.totalUsage(usages, choicesPerPrompt: choicesPerPrompt)
                try await writer.writeBody(context.usageChunk(usage))
            }
            try await writer.writeBody(ServerSentEvents.done())
            try await writer.finish()
        }
    }
}
