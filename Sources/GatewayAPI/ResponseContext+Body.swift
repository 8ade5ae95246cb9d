import GatewayCore
import NIOCore

extension ResponseContext {
    /// The whole non-streamed response: `chat.completion` or `text_completion`.
    func body(choices: [ChoiceResult], usage: Usage, logprobs: Bool) -> ByteBuffer {
        var json = JSONWriter(capacity: 512 + choices.reduce(0) { $0 + $1.text.utf8.count })
        json.beginObject()
        self.writeHeader(to: &json, object: self.objectName)
        json.key(verbatim: "choices")
        json.beginArray()
        for (index, choice) in choices.enumerated() {
            json.beginObject()
            json.field(verbatim: "index", index)
            switch self.endpoint {
            case .chat:
                json.key(verbatim: "message")
                json.beginObject()
                json.field(verbatim: "role", "assistant")
                json.field(verbatim: "content", choice.text)
                json.nullField(verbatim: "refusal")
                json.endObject()
                json.key(verbatim: "logprobs")
                if logprobs { LogprobsEncoding.writeChat(choice.tokens, to: &json) } else { json.null() }
            case .completions:
                json.field(verbatim: "text", choice.text)
                json.key(verbatim: "logprobs")
                if logprobs {
                    LogprobsEncoding.writeCompletion(choice.tokens, startingAt: 0, to: &json)
                } else {
                    json.null()
                }
            }
            json.field(verbatim: "finish_reason", choice.finishReason?.rawValue)
            json.endObject()
        }
        json.endArray()
        json.key(verbatim: "usage")
        usage.write(to: &json)
        json.endObject()
        return json.buffer
    }
}
