/// A chat template family recognised from a GGUF's `tokenizer.chat_template`, rendered in
/// Swift exactly as the Jinja source would render it.
///
/// Only templates whose source is known are accepted; anything else is an error when the
/// model loads, never a prompt in the wrong format.
public struct ChatTemplate: Sendable, Equatable {
    public enum Family: String, Sendable, Equatable {
        /// `<|im_start|>role\ncontent<|im_end|>\n` per message (SmolLM2, Qwen2, OpenHermes…).
        case chatML = "chatml"
    }

    public let family: Family
    /// The system message the template adds when the first message is not a system message.
    public let defaultSystemMessage: String?

    public init(family: Family, defaultSystemMessage: String?) {
        self.family = family
        self.defaultSystemMessage = defaultSystemMessage
    }

    /// Recognises the family of a Jinja chat template; an unknown template is an error.
    public init(jinja source: String) throws {
        guard let template = ChatTemplate.recognise(source) else {
            throw ModelRuntimeError(
                "chat template", "unsupported chat template (\(source.unicodeScalars.count) characters, starting '\(ChatTemplate.excerpt(source))'); supported: chatml")
        }
        self = template
    }

    /// The control tokens that end an assistant's turn, for the sampler's stop ids.
    public var stopMarkers: [String] {
        switch self.family {
        case .chatML: ["<|im_end|>"]
        }
    }

    /// Renders messages as the template does; `addGenerationPrompt` appends the opening of
    /// the assistant's turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> ChatPrompt {
        switch self.family {
        case .chatML:
            return self.renderChatML(messages, addGenerationPrompt: addGenerationPrompt)
        }
    }

    private func renderChatML(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> ChatPrompt {
        var pieces: [ChatPrompt.Piece] = []
        func turn(_ role: String, _ content: String) {
            pieces += [.marker("<|im_start|>"), .text(role + "\n" + content), .marker("<|im_end|>"), .text("\n")]
        }
        for (index, message) in messages.enumerated() {
            if index == 0, message.role != "system", let system = self.defaultSystemMessage {
                turn("system", system)
            }
            turn(message.role, message.content)
        }
        if addGenerationPrompt {
            pieces += [.marker("<|im_start|>"), .text("assistant\n")]
        }
        return ChatPrompt(pieces: pieces)
    }

    private static func excerpt(_ source: String) -> String {
        let head = String(source.unicodeScalars.prefix(40))
        var escaped = ""
        for scalar in head.unicodeScalars {
            escaped += scalar == "\n" ? "\\n" : String(scalar)
        }
        return escaped
    }
}
