import GatewayCore

/// What every body and chunk of one response repeats: its id, creation time and model.
struct ResponseContext: Sendable {
    var endpoint: CompletionRequest.Endpoint
    /// `chatcmpl-…` or `cmpl-…`.
    var id: String
    /// Unix seconds.
    var created: Int
    var model: String
    var includeUsage: Bool

    /// The `object` of a whole response.
    var objectName: String {
        switch self.endpoint {
        case .completions: "text_completion"
        case .chat: "chat.completion"
        }
    }

    /// The `object` of a streamed chunk (completions reuse `text_completion`, as OpenAI does).
    var chunkObjectName: String {
        switch self.endpoint {
        case .completions: "text_completion"
        case .chat: "chat.completion.chunk"
        }
    }

    /// Writes the fields every body and chunk opens with.
    func writeHeader(to json: inout JSONWriter, object: String) {
        json.field(verbatim: "id", self.id)
        json.field(verbatim: "object", object)
        json.field(verbatim: "created", self.created)
        json.field(verbatim: "model", self.model)
        if self.endpoint == .chat { json.nullField(verbatim: "system_fingerprint") }
    }
}

extension Usage {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.field(verbatim: "prompt_tokens", self.promptTokens)
        json.field(verbatim: "completion_tokens", self.completionTokens)
        json.field(verbatim: "total_tokens", self.totalTokens)
        json.endObject()
    }
}
