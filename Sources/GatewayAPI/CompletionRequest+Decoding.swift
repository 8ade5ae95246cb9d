import GatewayCore
import InferenceEngine
import NIOCore

extension CompletionRequest {
    /// OpenAI's limits: at most 4 stop sequences, 128 choices, 20 alternatives per token.
    static let maxStopSequences = 4
    static let maxChoices: Int64 = 128
    static let maxTopLogprobs: Int64 = 20

    /// Parses and validates a request body; every failure is a 400 naming the field.
    init(endpoint: Endpoint, body: ByteBuffer) throws {
        let parsed = body.withUnsafeReadableBytes { try? JSONParser.parse($0) }
        guard let document = parsed else {
            throw APIError.invalidRequest("The request body is not valid JSON.", code: "invalid_json")
        }
        guard case .object(let object) = document else {
            throw APIError.invalidRequest("The request body must be a JSON object, not \(document.typeName).")
        }
        try self.init(endpoint: endpoint, fields: JSONFields(object))
    }

    init(endpoint: Endpoint, fields: JSONFields) throws {
        self.endpoint = endpoint
        guard let model = try fields.string("model") else {
            throw APIError.invalidRequest("You must provide a model parameter.", param: "model")
        }
        self.model = model
        switch endpoint {
        case .chat: self.prompts = [.chat(try Self.messages(fields))]
        case .completions: self.prompts = try Self.textPrompts(fields)
        }

        let maxTokens = try fields.integer("max_tokens", in: 1...Int64.max)
        let maxCompletionTokens = try fields.integer("max_completion_tokens", in: 1...Int64.max)
        self.maxTokens = maxCompletionTokens ?? maxTokens
        self.stopSequences = try Self.stopSequences(fields)
        self.n = try fields.integer("n", in: 1...Self.maxChoices) ?? 1
        self.stream = try fields.bool("stream") ?? false
        if let options = try fields.object("stream_options") {
            guard self.stream else {
                throw APIError.invalidRequest(
                    "'stream_options' is only allowed when 'stream' is true.", param: "stream_options")
            }
            self.includeUsage = try options.bool("include_usage") ?? false
        } else {
            self.includeUsage = false
        }
        self.user = try fields.string("user")
        self.priority = try Self.priority(fields)
        self.requestTimeout = try fields.number("request_timeout").map {
            try Self.requestTimeout(seconds: $0, param: "request_timeout")
        }
        self.givenSampling = try Self.givenSampling(fields)
        self.sampling = try Self.sampling(fields, given: self.givenSampling, endpoint: endpoint)
        if self.prompts.count * self.n > Self.maxChoices {
            throw APIError.invalidRequest(
                "A request may produce at most \(Self.maxChoices) choices (prompts × n).", param: "n")
        }
    }

    /// The fields a model version's `default_sampling` may fill, as the request gave them.
    private static func givenSampling(_ fields: JSONFields) throws -> ManifestSampling {
        ManifestSampling(
            temperature: try fields.number("temperature", in: 0...2),
            topP: try fields.number("top_p", in: 0...1, lowerOpen: true),
            topK: try fields.integer("top_k", in: -1...Int64(Int32.max)))
    }

    private static func sampling(_ fields: JSONFields, given: ManifestSampling, endpoint: Endpoint) throws -> SamplingParameters {
        var sampling = SamplingParameters()
        sampling.temperature = given.temperature ?? sampling.temperature
        sampling.topP = given.topP ?? sampling.topP
        sampling.topK = given.topK ?? sampling.topK
        sampling.minP = try fields.number("min_p", in: 0...1) ?? sampling.minP
        sampling.presencePenalty = try fields.number("presence_penalty", in: -2...2) ?? sampling.presencePenalty
        sampling.frequencyPenalty = try fields.number("frequency_penalty", in: -2...2) ?? sampling.frequencyPenalty
        sampling.repetitionPenalty =
            try fields.number("repetition_penalty", in: 0...2, lowerOpen: true) ?? sampling.repetitionPenalty
        if let seed = try fields.integer("seed") {
            sampling.seed = UInt64(bitPattern: seed)
        }
        switch endpoint {
        case .chat:
            let top = try fields.integer("top_logprobs", in: 0...Self.maxTopLogprobs)
            if try fields.bool("logprobs") == true {
                sampling.topLogprobs = top ?? 0
            } else if top != nil {
                throw APIError.invalidRequest(
                    "'top_logprobs' requires 'logprobs' to be true.", param: "top_logprobs")
            }
        case .completions:
            sampling.topLogprobs = try fields.integer("logprobs", in: 0...Self.maxTopLogprobs)
        }
        return sampling
    }

    /// `stop`: a string or a list of up to four non-empty strings.
    private static func stopSequences(_ fields: JSONFields) throws -> [String] {
        let sequences: [String]
        switch fields.value("stop") {
        case nil: return []
        case .string(let stop)?: sequences = [stop]
        case .array(let items)?:
            sequences = try items.enumerated().map { index, item in
                guard case .string(let stop) = item else {
                    throw APIError.invalidType("stop[\(index)]", expected: "a string", got: item)
                }
                return stop
            }
        case let value?: throw APIError.invalidType("stop", expected: "a string or an array of strings", got: value)
        }
        guard sequences.count <= Self.maxStopSequences else {
            throw APIError.invalidRequest("'stop' takes at most \(Self.maxStopSequences) sequences.", param: "stop")
        }
        guard !sequences.contains(where: \.isEmpty) else {
            throw APIError.invalidRequest("'stop' sequences must not be empty.", param: "stop")
        }
        return sequences
    }

    /// `priority`: `"low"`, `"normal"`, `"high"` (or 0, 1, 2).
    private static func priority(_ fields: JSONFields) throws -> Priority? {
        switch fields.value("priority") {
        case nil: return nil
        case .string(let name)?:
            guard let priority = Priority(name: name) else {
                throw APIError.invalidRequest("Invalid 'priority': expected low, normal or high.", param: "priority")
            }
            return priority
        case .integer(let level)?:
            guard let priority = Priority(rawValue: Int(clamping: level)) else {
                throw APIError.invalidRequest("Invalid 'priority': expected 0, 1 or 2.", param: "priority")
            }
            return priority
        case let value?: throw APIError.invalidType("priority", expected: "a string", got: value)
        }
    }

    /// The longest wait a client may ask for: a day.
    static let maxRequestTimeoutSeconds: Double = 86_400

    /// A request timeout in seconds (fractions allowed): above 0 and at most a day, or a 400
    /// that names where it came from.
    static func requestTimeout(seconds: Double, param: String) throws -> Duration {
        guard seconds.isFinite, seconds > 0, seconds <= Self.maxRequestTimeoutSeconds else {
            throw APIError.invalidRequest(
                "Invalid '\(param)': expected a number of seconds above 0 and at most \(Int(Self.maxRequestTimeoutSeconds)), but got \(seconds).",
                param: param)
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// `prompt`: a string or a non-empty list of strings (token-id prompts are not taken).
    private static func textPrompts(_ fields: JSONFields) throws -> [Prompt] {
        switch fields.value("prompt") {
        case nil:
            throw APIError.invalidRequest("You must provide a 'prompt'.", param: "prompt")
        case .string(let text)?:
            return [.text(text)]
        case .array(let items)? where !items.isEmpty:
            return try items.enumerated().map { index, item in
                guard case .string(let text) = item else {
                    throw APIError.invalidType("prompt[\(index)]", expected: "a string", got: item)
                }
                return .text(text)
            }
        case .array?:
            throw APIError.invalidRequest("'prompt' must not be an empty list.", param: "prompt")
        case let value?:
            throw APIError.invalidType("prompt", expected: "a string or an array of strings", got: value)
        }
    }

    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool"]

    /// `messages`: a non-empty list of `{role, content}`; content is a string, a list of text
    /// parts, or null (an assistant turn without text).
    private static func messages(_ fields: JSONFields) throws -> [ChatMessage] {
        guard let value = fields.value("messages") else {
            throw APIError.invalidRequest("You must provide 'messages'.", param: "messages")
        }
        guard case .array(let items) = value else {
            throw APIError.invalidType("messages", expected: "an array", got: value)
        }
        guard !items.isEmpty else {
            throw APIError.invalidRequest("'messages' must contain at least one message.", param: "messages")
        }
        return try items.enumerated().map { index, item in
            let path = "messages[\(index)]"
            guard case .object(let object) = item else {
                throw APIError.invalidType(path, expected: "an object", got: item)
            }
            let message = JSONFields(object, path: path)
            guard let role = try message.string("role") else {
                throw APIError.invalidRequest("'\(path).role' is required.", param: "\(path).role")
            }
            guard Self.roles.contains(role) else {
                throw APIError.invalidRequest(
                    "Invalid '\(path).role': '\(role)' is not one of system, developer, user, assistant, tool.",
                    param: "\(path).role")
            }
            return ChatMessage(role: role, content: try Self.content(message))
        }
    }

    private static func content(_ message: JSONFields) throws -> String {
        let param = message.param("content")
        switch message.value("content") {
        case nil: return ""
        case .string(let text)?: return text
        case .array(let parts)?:
            return try parts.enumerated().map { index, part in
                guard case .object(let object) = part else {
                    throw APIError.invalidType("\(param)[\(index)]", expected: "an object", got: part)
                }
                let fields = JSONFields(object, path: "\(param)[\(index)]")
                guard try fields.string("type") == "text", let text = try fields.string("text") else {
                    throw APIError.invalidRequest(
                        "Only text content parts ({\"type\": \"text\", \"text\": ...}) are supported.",
                        param: fields.path)
                }
                return text
            }.joined()
        case let value?:
            throw APIError.invalidType(param, expected: "a string or an array of content parts", got: value)
        }
    }
}

extension Priority {
    /// Parses `low`, `normal` or `high` (the body's `priority` and the `x-priority` header).
    init?(name: String) {
        switch name.lowercased() {
        case "low", "0": self = .low
        case "normal", "1": self = .normal
        case "high", "2": self = .high
        default: return nil
        }
    }
}
