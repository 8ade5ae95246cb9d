/// One message of a chat, as a chat template sees it.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user`, `assistant`, … — the template writes it verbatim.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { .init(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { .init(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { .init(role: "assistant", content: content) }
}
