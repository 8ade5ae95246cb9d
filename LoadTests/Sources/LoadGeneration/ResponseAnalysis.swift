import Foundation

/// Turns a captured response into a `RequestRecord`'s measurements: which events carried
/// text, the server's token count, and whether the stream ended properly.
enum ResponseAnalysis {
    struct Result {
        var tokenTimes: [ContinuousClock.Instant] = []
        var text = ""
        var completionTokens: Int?
        var promptTokens: Int?
        /// The `model` field, when every chunk that has one agrees.
        var model: String?
        var errorKind: String?
        var errorMessage: String?
    }

    static func analyzeStream(_ events: [ResponseCapture.Event]) -> Result {
        var result = Result()
        var sawDone = false
        var sawFinish = false
        for event in events {
            guard let line = Self.dataPayload(event.bytes) else { continue }
            if line.elementsEqual("[DONE]".utf8) {
                sawDone = true
                continue
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                result.errorKind = "bad_response"
                result.errorMessage = "an event is not a JSON object"
                continue
            }
            if let error = object["error"] as? [String: Any] {
                result.errorKind = "stream_error"
                result.errorMessage = error["message"] as? String ?? "error event"
                continue
            }
            if let usage = object["usage"] as? [String: Any] {
                result.completionTokens = usage["completion_tokens"] as? Int
                result.promptTokens = usage["prompt_tokens"] as? Int
            }
            Self.noteModel(object, in: &result)
            if Self.finishReason(object) != nil { sawFinish = true }
            if let text = Self.choiceText(object), !text.isEmpty {
                result.text += text
                result.tokenTimes.append(event.time)
            }
        }
        if !sawDone && result.errorKind == nil {
            result.errorKind = "truncated"
            result.errorMessage = "the stream ended without [DONE]"
        } else if !sawFinish && result.errorKind == nil {
            result.errorKind = "truncated"
            result.errorMessage = "the stream ended without a finish_reason"
        }
        return result
    }

    static func analyzeBody(_ body: [UInt8]) -> Result {
        var result = Result()
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            result.errorKind = "bad_response"
            result.errorMessage = "the body is not a JSON object"
            return result
        }
        result.text = Self.choiceText(object) ?? ""
        Self.noteModel(object, in: &result)
        if let usage = object["usage"] as? [String: Any] {
            result.completionTokens = usage["completion_tokens"] as? Int
            result.promptTokens = usage["prompt_tokens"] as? Int
        }
        return result
    }

    /// OpenAI's error message from an error body, when it has one.
    static func errorMessage(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["message"] as? String
    }

    /// Keeps the first `model` field; a chunk naming another model makes the response bad.
    private static func noteModel(_ object: [String: Any], in result: inout Result) {
        guard let model = object["model"] as? String else { return }
        if let first = result.model, first != model, result.errorKind == nil {
            result.errorKind = "bad_response"
            result.errorMessage = "chunks name different models: \(first) and \(model)"
        } else if result.model == nil {
            result.model = model
        }
    }

    /// The first choice's `finish_reason`, when set.
    private static func finishReason(_ object: [String: Any]) -> String? {
        guard let choices = object["choices"] as? [[String: Any]], let choice = choices.first else { return nil }
        return choice["finish_reason"] as? String
    }

    /// The first choice's text: `text` (completions), `delta.content` (chat stream) or
    /// `message.content` (chat body).
    private static func choiceText(_ object: [String: Any]) -> String? {
        guard let choices = object["choices"] as? [[String: Any]], let choice = choices.first else { return nil }
        if let text = choice["text"] as? String { return text }
        if let delta = choice["delta"] as? [String: Any] { return delta["content"] as? String }
        if let message = choice["message"] as? [String: Any] { return message["content"] as? String }
        return nil
    }

    /// The value of an event's `data:` line(s), joined as SSE joins them.
    private static func dataPayload(_ event: [UInt8]) -> [UInt8]? {
        var payload: [UInt8]?
        for line in event.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.starts(with: "data:".utf8) else { continue }
            var value = line.dropFirst(5)
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            if payload == nil {
                payload = Array(value)
            } else {
                payload?.append(UInt8(ascii: "\n"))
                payload?.append(contentsOf: value)
            }
        }
        return payload
    }
}
