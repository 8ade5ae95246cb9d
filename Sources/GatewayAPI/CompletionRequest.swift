import GatewayCore
import InferenceEngine

/// A `/v1/completions` or `/v1/chat/completions` request after parsing and validation: what
/// the handler needs to start the generations and shape the response.
struct CompletionRequest: Sendable {
    enum Endpoint: Sendable {
        case completions
        case chat

        /// Prefix of the response id (`cmpl-…`, `chatcmpl-…`).
        var idPrefix: String {
            switch self {
            case .completions: "cmpl-"
            case .chat: "chatcmpl-"
            }
        }

        /// The field holding the prompt, named in context-length errors.
        var promptParam: String {
            switch self {
            case .completions: "prompt"
            case .chat: "messages"
            }
        }
    }

    var endpoint: Endpoint
    var model: String
    /// One prompt for chat; one or more for completions (a list of strings is a batch).
    var prompts: [Prompt]
    /// `max_tokens` or `max_completion_tokens`; nil lets the handler choose from the context.
    var maxTokens: Int?
    var sampling: SamplingParameters
    /// Temperature, top_p and top_k as the body gave them (nil where left out): the model
    /// version's `default_sampling` fills the others.
    var givenSampling: ManifestSampling
    var stopSequences: [String]
    /// Choices per prompt.
    var n: Int
    var stream: Bool
    var includeUsage: Bool
    var user: String?
    /// From the body; the `x-priority` header applies when this is nil.
    var priority: Priority?
    /// `request_timeout` from the body; the `x-request-timeout` header applies when this is nil.
    var requestTimeout: Duration?

    /// Whether each token reports its log-probability.
    var wantsLogprobs: Bool { self.sampling.topLogprobs != nil }
}
