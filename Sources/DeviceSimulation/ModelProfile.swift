/// The shape of a Llama-family (optionally mixture-of-experts) transformer and how its weights
/// and KV are stored: everything the ledger and the cost model need, as plain numbers.
public struct ModelProfile: Sendable, Hashable, Codable {
    public var name: String
    public var layers: Int
    public var hiddenSize: Int
    public var attentionHeads: Int
    public var kvHeads: Int
    public var headSize: Int
    /// Feed-forward width of one expert (of the whole MLP for a dense model).
    public var intermediateSize: Int
    public var vocabularySize: Int
    /// Experts per layer (1 for a dense model) and experts each token is routed to.
    public var experts: Int
    public var expertsPerToken: Int
    /// True when the LM head reuses the embedding matrix (one copy in memory).
    public var tiedEmbeddings: Bool
    /// Bytes of all weights as stored on the device (all experts), whole model, before TP.
    public var weightBytes: Int
    /// Tensor-core format the layers' matmuls run in.
    public var math: MathFormat
    public var kvFormat: KVFormat
    /// How the weights are stored, for display: "bf16", "fp8", "Q4_1".
    public var weightLabel: String
    /// Stored bytes per parameter of the layers' matmuls and of the embedding / LM head (FP8
    /// checkpoints keep the latter in BF16).
    public var layerBytesPerParameter: Double
    public var embeddingBytesPerParameter: Double

    public init(
        name: String, layers: Int, hiddenSize: Int, attentionHeads: Int, kvHeads: Int, headSize: Int,
        intermediateSize: Int, vocabularySize: Int, experts: Int = 1, expertsPerToken: Int = 1,
        tiedEmbeddings: Bool, weightBytes: Int, math: MathFormat, kvFormat: KVFormat, weightLabel: String,
        layerBytesPerParameter: Double? = nil, embeddingBytesPerParameter: Double? = nil
    ) {
        self.name = name
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.attentionHeads = attentionHeads
        self.kvHeads = kvHeads
        self.headSize = headSize
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.experts = experts
        self.expertsPerToken = expertsPerToken
        self.tiedEmbeddings = tiedEmbeddings
        self.weightBytes = weightBytes
        self.math = math
        self.kvFormat = kvFormat
        self.weightLabel = weightLabel
        self.layerBytesPerParameter = 0
        self.embeddingBytesPerParameter = 0
        let average = Double(weightBytes) / Double(max(self.totalParameters, 1))
        self.layerBytesPerParameter = layerBytesPerParameter ?? average
        self.embeddingBytesPerParameter = embeddingBytesPerParameter ?? average
    }

    /// q, k, v and o projections of one layer.
    public var attentionParametersPerLayer: Int {
        2 * self.hiddenSize * self.attentionHeads * self.headSize + 2 * self.hiddenSize * self.kvHeads * self.headSize
    }

    /// Gate, up and down projections of one expert.
    public var expertParameters: Int { 3 * self.hiddenSize * self.intermediateSize }

    public var routerParametersPerLayer: Int { self.experts > 1 ? self.hiddenSize * self.experts : 0 }

    /// The matmul weights of one layer, every expert included (norms are negligible).
    public var parametersPerLayer: Int {
        self.attentionParametersPerLayer + self.experts * self.expertParameters + self.routerParametersPerLayer
    }

    public var embeddingParameters: Int { self.vocabularySize * self.hiddenSize }

    /// Every parameter: layers, embedding and (unless tied) the LM head.
    public var totalParameters: Int {
        self.layers * self.parametersPerLayer + self.embeddingParameters * (self.tiedEmbeddings ? 1 : 2)
    }

    /// Parameters one token multiplies through in one layer (its routed experts only).
    public var activeParametersPerLayer: Int {
        self.attentionParametersPerLayer + self.expertsPerToken * self.expertParameters + self.routerParametersPerLayer
    }

    /// Stored bytes of one layer's matmul weights, every expert included.
    public var layerWeightBytes: Double { Double(self.parametersPerLayer) * self.layerBytesPerParameter }

    /// Stored bytes of the LM head matrix (the embedding's when tied): read whole every step.
    public var headWeightBytes: Double { Double(self.embeddingParameters) * self.embeddingBytesPerParameter }

    /// K and V of one token in one layer, whole model (before TP).
    public var kvBytesPerTokenPerLayer: Int { 2 * self.kvHeads * self.headSize * self.kvFormat.bytesPerElement }

    public var kvBytesPerToken: Int { self.layers * self.kvBytesPerTokenPerLayer }

    /// KV heads each of `tensorParallel` devices holds: split while there are enough, then
    /// replicated one per device (vLLM and TensorRT-LLM do the same).
    public func kvHeadsPerDevice(tensorParallel: Int) -> Int { max(1, self.kvHeads / tensorParallel) }

    /// Expected number of distinct experts `tokens` tokens touch in one layer, with routing
    /// uniform and independent per token: E × (1 − (1 − k/E)^T).
    public func expectedExpertsTouched(tokens: Int) -> Double {
        guard self.experts > 1 else { return 1 }
        let missProbability = 1 - Double(self.expertsPerToken) / Double(self.experts)
        return Double(self.experts) * (1 - pow(missProbability, tokens))
    }

    /// The label `name:weights:kv-format`, e.g. `llama-3.1-70b:fp8:kv-fp8`.
    public var label: String { "\(self.name):\(self.weightLabel):kv-\(self.kvFormat.rawValue)" }
}

/// x^n for a non-negative integer n by squaring (stdlib has no `pow`, and Foundation is out).
func pow(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var factor = base
    var remaining = exponent
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
    }
    return result
}
