import GatewayCore

/// What the API layer sees of a model replica: it tokenizes to check limits, then streams
/// generations. Cancelling the consuming task (a client that went away) ends the generation
/// and releases everything it held.
public protocol TextGenerationEngine: Sendable {
    /// The id clients send (`smollm2`).
    var modelName: String { get }
    /// The version serving this engine (`1`).
    var modelVersion: String { get }
    /// Context window in tokens: prompt plus completion must fit.
    var contextLength: Int { get }

    /// Number of tokens the prompt becomes after templating and tokenization.
    /// Throws `GenerationError` with `.invalidRequest` for prompts the model cannot take.
    func promptTokenCount(_ prompt: Prompt) throws -> Int

    /// Starts a generation. The stream yields tokens and then exactly one `.finished`, or
    /// throws a `GenerationError`.
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error>

    /// Sampling for requests that leave temperature, top_p or top_k out (the version's
    /// manifest `default_sampling`); nil keeps OpenAI's defaults.
    var defaultSampling: ManifestSampling? { get }

    /// Whether `immediateEvents` answers: the engine produces a whole generation without
    /// waiting or computing for long, as the echo model does.
    var answersImmediately: Bool { get }

    /// The whole generation at once (its tokens, then one `.finished`) when the engine
    /// `answersImmediately`; nil when it must be streamed through `generate`. Saves a stream
    /// and its task switches per request (and lets the API answer without a task at all).
    func immediateEvents(_ request: GenerationRequest) -> [GenerationEvent]?
}

extension TextGenerationEngine {
    public var defaultSampling: ManifestSampling? { nil }

    public var answersImmediately: Bool { false }

    public func immediateEvents(_ request: GenerationRequest) -> [GenerationEvent]? { nil }
}
