/// A Llama-family model's configuration as plain numbers, as a GGUF's `llama.*` metadata (or a
/// Hugging Face config.json) states them. ModelRuntime's loader fills one from a GGUF; this
/// module never reads files.
public struct LlamaConfiguration: Sendable, Hashable, Codable {
    public var layers: Int
    public var hiddenSize: Int
    public var attentionHeads: Int
    public var kvHeads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var experts: Int
    public var expertsPerToken: Int
    public var tiedEmbeddings: Bool

    public init(
        layers: Int, hiddenSize: Int, attentionHeads: Int, kvHeads: Int, intermediateSize: Int, vocabularySize: Int,
        experts: Int = 1, expertsPerToken: Int = 1, tiedEmbeddings: Bool = false
    ) {
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.attentionHeads = attentionHeads
        self.kvHeads = kvHeads
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.experts = experts
        self.expertsPerToken = expertsPerToken
        self.tiedEmbeddings = tiedEmbeddings
    }

    /// Rejects values no real model has, so a hostile or corrupt file cannot make the
    /// arithmetic divide by zero or overflow.
    func validate(name: String) throws(DeviceSimulationError) {
        // Caps well above any published model that keep every derived count (parameters per
        // layer × layers × bytes) far inside Int, so arithmetic on a hostile file cannot trap.
        let bounded = [
            ("layers", self.layers, 1 << 12), ("hidden size", self.hiddenSize, 1 << 17),
            ("attention heads", self.attentionHeads, 1 << 12), ("KV heads", self.kvHeads, 1 << 12),
            ("intermediate size", self.intermediateSize, 1 << 20), ("vocabulary size", self.vocabularySize, 1 << 22),
            ("experts", self.experts, 1 << 10), ("experts per token", self.expertsPerToken, 1 << 10),
        ]
        for (field, value, limit) in bounded where !(1...limit).contains(value) {
            throw DeviceSimulationError(.invalidSpecification, "\(name): \(field) \(value) is outside 1...\(limit)")
        }
        guard self.hiddenSize % self.attentionHeads == 0 else {
            throw DeviceSimulationError(.invalidSpecification, "\(name): hidden size \(self.hiddenSize) is not a multiple of \(self.attentionHeads) heads")
        }
        guard self.attentionHeads % self.kvHeads == 0 else {
            throw DeviceSimulationError(.invalidSpecification, "\(name): \(self.attentionHeads) heads are not a multiple of \(self.kvHeads) KV heads")
        }
        guard self.expertsPerToken <= self.experts else {
            throw DeviceSimulationError(.invalidSpecification, "\(name): \(self.expertsPerToken) experts per token exceed \(self.experts) experts")
        }
    }
}

extension ModelProfile {
    /// A profile from a configuration and the weights' stored size (a GGUF's tensor bytes).
    /// Block-quantized weights are dequantized into BF16 matmuls, so they compute at the BF16 peak.
    public init(
        name: String, configuration: LlamaConfiguration, weightBytes: Int, weightLabel: String,
        math: MathFormat = .bf16, kvFormat: KVFormat = .fp16,
        layerBytesPerParameter: Double? = nil, embeddingBytesPerParameter: Double? = nil
    ) throws(DeviceSimulationError) {
        try configuration.validate(name: name)
        guard weightBytes > 0 else {
            throw DeviceSimulationError(.invalidSpecification, "\(name): weight bytes \(weightBytes) must be positive")
        }
        self.init(
            name: name, layers: configuration.layers, hiddenSize: configuration.hiddenSize,
            attentionHeads: configuration.attentionHeads, kvHeads: configuration.kvHeads,
            headSize: configuration.hiddenSize / configuration.attentionHeads,
            intermediateSize: configuration.intermediateSize, vocabularySize: configuration.vocabularySize,
            experts: configuration.experts, expertsPerToken: configuration.expertsPerToken,
            tiedEmbeddings: configuration.tiedEmbeddings, weightBytes: weightBytes, math: math, kvFormat: kvFormat,
            weightLabel: weightLabel, layerBytesPerParameter: layerBytesPerParameter,
            embeddingBytesPerParameter: embeddingBytesPerParameter
        )
    }

    /// A profile for a published checkpoint in `weights`: layer matmuls at the format's width,
    /// embedding and LM head in BF16.
    public init(
        name: String, configuration: LlamaConfiguration, weights: WeightFormat, kvFormat: KVFormat
    ) throws(DeviceSimulationError) {
        try configuration.validate(name: name)
        let headSize = configuration.hiddenSize / configuration.attentionHeads
        let attention = 2 * configuration.hiddenSize * (configuration.attentionHeads + configuration.kvHeads) * headSize
        let router = configuration.experts > 1 ? configuration.hiddenSize * configuration.experts : 0
        let layer = attention + configuration.experts * 3 * configuration.hiddenSize * configuration.intermediateSize + router
        let embedding = configuration.vocabularySize * configuration.hiddenSize * (configuration.tiedEmbeddings ? 1 : 2)
        let bytes = configuration.layers * layer * weights.bytesPerParameter + embedding * 2
        try self.init(
            name: name, configuration: configuration, weightBytes: bytes, weightLabel: weights.rawValue,
            math: weights.math, kvFormat: kvFormat, layerBytesPerParameter: Double(weights.bytesPerParameter),
            embeddingBytesPerParameter: 2
        )
    }
}
