/// A rendered chat: the template's markers kept apart from the text around them, so that
/// only the markers the template wrote become control tokens — a message that contains
/// "<|im_end|>" stays text and cannot close its turn early.
public struct ChatPrompt: Sendable, Equatable {
    public enum Piece: Sendable, Equatable {
        /// A control token's text, written by the template (`<|im_start|>`).
        case marker(String)
        /// Text: roles, message contents, the newlines between them.
        case text(String)
    }

    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// The prompt as one string, exactly as the Jinja template renders it.
    public var text: String {
        var result = ""
        for piece in self.pieces {
            switch piece {
            case .marker(let marker): result += marker
            case .text(let text): result += text
            }
        }
        return result
    }
}
