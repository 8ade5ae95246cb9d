import GatewayCore

/// Log-probabilities in the two shapes OpenAI uses: chat's list of entries, and completions'
/// parallel arrays.
enum LogprobsEncoding {
    /// Chat: `{"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}], "refusal": null}`.
    static func writeChat(_ tokens: [GeneratedToken], to json: inout JSONWriter) {
        json.beginObject()
        json.key(verbatim: "content")
        json.beginArray()
        for token in tokens {
            guard let logprob = token.logprob else { continue }
            json.beginObject()
            Self.writeEntry(logprob, to: &json)
            json.key(verbatim: "top_logprobs")
            json.beginArray()
            for alternative in token.topLogprobs {
                json.beginObject()
                Self.writeEntry(alternative, to: &json)
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.nullField(verbatim: "refusal")
        json.endObject()
    }

    private static func writeEntry(_ logprob: TokenLogprob, to json: inout JSONWriter) {
        json.field(verbatim: "token", logprob.token)
        json.key(verbatim: "logprob")
        json.number(logprob.logprob)
        json.key(verbatim: "bytes")
        json.byteArray(logprob.bytes)
    }

    /// Completions: `{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}`.
    /// `offset` is where the first token starts in the generated text (in Unicode scalars).
    static func writeCompletion(_ tokens: [GeneratedToken], startingAt offset: Int, to json: inout JSONWriter) {
        let tokens = tokens.filter { $0.logprob != nil }
        json.beginObject()
        json.key(verbatim: "tokens")
        json.beginArray()
        for token in tokens { json.string(token.logprob?.token ?? token.text) }
        json.endArray()
        json.key(verbatim: "token_logprobs")
        json.beginArray()
        for token in tokens { json.number(token.logprob?.logprob ?? 0) }
        json.endArray()
        json.key(verbatim: "top_logprobs")
        json.beginArray()
        for token in tokens {
            json.beginObject()
            for alternative in token.topLogprobs {
                json.key(alternative.token)
                json.number(alternative.logprob)
            }
            json.endObject()
        }
        json.endArray()
        json.key(verbatim: "text_offset")
        json.beginArray()
        var position = offset
        for token in tokens {
            json.integer(position)
            position += token.text.unicodeScalars.count
        }
        json.endArray()
        json.endObject()
    }
}
