/// The shape of a Llama-family model, read from a GGUF file's `llama.*` metadata.
public struct LlamaConfiguration: Sendable, Equatable {
    /// The context window the model was trained for (`llama.context_length`).
    public var contextLength: Int
    /// Width of the residual stream (`llama.embedding_length`).
    public var embeddingLength: Int
    /// Number of transformer blocks (`llama.block_count`).
    public var blockCount: Int
    /// Width of the MLP's hidden layer (`llama.feed_forward_length`).
    public var feedForwardLength: Int
    /// Query heads (`llama.attention.head_count`).
    public var headCount: Int
    /// Key/value heads (`llama.attention.head_count_kv`; defaults to `headCount`).
    public var kvHeadCount: Int
    /// Dimension of one head (`llama.attention.key_length`, else embedding / heads).
    public var headDimension: Int
    public var rmsNormEpsilon: Float
    /// RoPE's theta (`llama.rope.freq_base`, default 10,000).
    public var ropeFrequencyBase: Float
    public var vocabularySize: Int

    public init(
        contextLength: Int, embeddingLength: Int, blockCount: Int, feedForwardLength: Int,
        headCount: Int, kvHeadCount: Int, headDimension: Int, rmsNormEpsilon: Float,
        ropeFrequencyBase: Float, vocabularySize: Int
    ) {
        self.contextLength = contextLength
        self.embeddingLength = embeddingLength
        self.blockCount = blockCount
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDimension = headDimension
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeFrequencyBase = ropeFrequencyBase
        self.vocabularySize = vocabularySize
    }

    /// Query width: `headCount × headDimension`.
    public var queryLength: Int { self.headCount * self.headDimension }
    /// Key (and value) width: `kvHeadCount × headDimension`.
    public var kvLength: Int { self.kvHeadCount * self.headDimension }

    public init(file: GGUFFile) throws {
        let architecture = try file.string("general.architecture")
        guard architecture == "llama" else {
            throw ModelRuntimeError(file.path, "architecture \(architecture) is not supported (only llama)")
        }
        self.contextLength = try file.integer("llama.context_length")
        self.embeddingLength = try file.integer("llama.embedding_length")
        self.blockCount = try file.integer("llama.block_count")
        self.feedForwardLength = try file.integer("llama.feed_forward_length")
        self.headCount = try file.integer("llama.attention.head_count")
        self.kvHeadCount = try file.optionalInteger("llama.attention.head_count_kv") ?? self.headCount
        self.rmsNormEpsilon = Float(try file.float("llama.attention.layer_norm_rms_epsilon"))
        self.ropeFrequencyBase = Float(try file.optionalFloat("llama.rope.freq_base") ?? 10_000)
        guard self.headCount > 0 else { throw ModelRuntimeError(file.path, "llama.attention.head_count is \(self.headCount)") }
        self.headDimension =
            try file.optionalInteger("llama.attention.key_length") ?? self.embeddingLength / self.headCount
        if let vocabulary = try file.optionalInteger("llama.vocab_size") {
            self.vocabularySize = vocabulary
        } else if let embedding = file.tensorInfo("token_embd.weight"), embedding.dimensions.count == 2 {
            self.vocabularySize = embedding.dimensions[1]
        } else {
            throw ModelRuntimeError(file.path, "missing metadata llama.vocab_size and tensor token_embd.weight")
        }
        try self.validate(fileName: file.path)
    }

    /// Rejects shapes the forward pass cannot run, with the offending values in the message.
    public func validate(fileName: String) throws {
        func require(_ condition: Bool, _ problem: @autoclosure () -> String) throws {
            if !condition { throw ModelRuntimeError(fileName, problem()) }
        }
        try require(self.contextLength > 0, "context length \(self.contextLength) must be positive")
        try require(self.embeddingLength > 0, "embedding length \(self.embeddingLength) must be positive")
        try require(self.blockCount > 0, "block count \(self.blockCount) must be positive")
        try require(self.feedForwardLength > 0, "feed-forward length \(self.feedForwardLength) must be positive")
        try require(self.vocabularySize > 0, "vocabulary size \(self.vocabularySize) must be positive")
        try require(
            self.kvHeadCount > 0 && self.headCount % self.kvHeadCount == 0,
            "\(self.headCount) query heads cannot be grouped over \(self.kvHeadCount) KV heads")
        try require(
            self.headDimension > 0 && self.headDimension % 2 == 0,
            "head dimension \(self.headDimension) must be positive and even (RoPE rotates pairs)")
        try require(self.rmsNormEpsilon.isFinite && self.rmsNormEpsilon > 0, "RMS norm epsilon \(self.rmsNormEpsilon) must be positive")
        try require(self.ropeFrequencyBase.isFinite && self.ropeFrequencyBase > 0, "RoPE base \(self.ropeFrequencyBase) must be positive")
    }
}
