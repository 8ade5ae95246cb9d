import Foundation

extension LoadRequest {
    /// The JSON body OpenAI's API takes for this request. Streaming asks for the usage chunk,
    /// so output tokens are the server's count, not the client's guess.
    public func jsonBody() -> [UInt8] {
        var object: [String: Any] = [
            "model": self.model,
            "max_tokens": self.maxTokens,
            "temperature": self.temperature,
            "stream": self.stream,
        ]
        switch self.endpoint {
        case .completions: object["prompt"] = self.prompt
        case .chat:
            object["messages"] = (self.system.map { [["role": "system", "content": $0]] } ?? []) + [["role": "user", "content": self.prompt]]
        }
        if self.stream {
            object["stream_options"] = ["include_usage": true]
        }
        // Every value above is a string, number, bool, array or dictionary: serialization cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return Array(data)
    }
}
