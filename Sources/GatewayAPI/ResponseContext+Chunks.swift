import GatewayCore
import NIOCore

extension ResponseContext {
    /// A chat stream's first chunk for a choice: an empty delta carrying the role.
    func roleChunk(index: Int) -> ByteBuffer {
        self.chunk(index: index) { json in
            json.key(verbatim: "delta")
            json.beginObject()
            json.field(verbatim: "role", "assistant")
            json.field(verbatim: "content", "")
            json.endObject()
            json.nullField(verbatim: "logprobs")
            json.nullField(verbatim: "finish_reason")
        }
    }

    /// A chunk carrying one token's text (and its log-probability when asked for).
    /// `offset` is where the token starts in the choice's text, for completions' `text_offset`.
    func tokenChunk(index: Int, token: GeneratedToken, offset: Int, logprobs: Bool) -> ByteBuffer {
        self.chunk(index: index) { json in
            switch self.endpoint {
            case .chat:
                json.key(verbatim: "delta")
                json.beginObject()
                json.field(verbatim: "content", token.text)
                json.endObject()
                json.key(verbatim: "logprobs")
                if logprobs { LogprobsEncoding.writeChat([token], to: &json) } else { json.null() }
            case .completions:
                json.field(verbatim: "text", token.text)
                json.key(verbatim: "logprobs")
                if logprobs {
                    LogprobsEncoding.writeCompletion([token], startingAt: offset, to: &json)
                } else {
                    json.null()
                }
            }
            json.nullField(verbatim: "finish_reason")
        }
    }

    /// The chunk that ends a choice: no text, its finish reason.
    func finishChunk(index: Int, reason: FinishReason) -> ByteBuffer {
        self.chunk(index: index) { json in
            switch self.endpoint {
            case .chat:
                json.key(verbatim: "delta")
                json.beginObject()
                json.endObject()
            case .completions:
                json.field(verbatim: "text", "")
            }
            json.nullField(verbatim: "logprobs")
            json.field(verbatim: "finish_reason", reason.rawValue)
        }
    }

    /// With `stream_options.include_usage`: the last chunk, with no choices and the usage.
    func usageChunk(_ usage: Usage) -> ByteBuffer {
        ServerSentEvents.event { json in
            json.beginObject()
            self.writeHeader(to: &json, object: self.chunkObjectName)
            json.key(verbatim: "choices")
            json.beginArray()
            json.endArray()
            json.key(verbatim: "usage")
            usage.write(to: &json)
            json.endObject()
        }
    }

    /// An error that happened after the stream began: one `data: {"error": …}` event.
    func errorEvent(_ error: APIError) -> ByteBuffer {
        ServerSentEvents.event { json in error.write(to: &json) }
    }

    /// One chunk with a single choice whose fields after `index` `writeChoice` writes.
    private func chunk(index: Int, _ writeChoice: (inout JSONWriter) -> Void) -> ByteBuffer {
        ServerSentEvents.event { json in
            json.beginObject()
            self.writeHeader(to: &json, object: self.chunkObjectName)
            json.key(verbatim: "choices")
            json.beginArray()
            json.beginObject()
            json.field(verbatim: "index", index)
            writeChoice(&json)
            json.endObject()
            json.endArray()
            if self.includeUsage { json.nullField(verbatim: "usage") }
            json.endObject()
        }
    }
}
