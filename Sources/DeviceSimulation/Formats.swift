/// Which tensor-core peak a matmul runs at.
public enum MathFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case bf16, fp8
}

/// Weight storage of the catalog's published models. FP8 checkpoints (ModelOpt, vLLM
/// `--quantization fp8`) quantize the transformer layers' linear weights only; embeddings
/// and the LM head stay BF16.
public enum WeightFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case bf16, fp8

    public var bytesPerParameter: Int { self == .bf16 ? 2 : 1 }
    public var math: MathFormat { self == .bf16 ? .bf16 : .fp8 }
}

/// KV-cache element format.
public enum KVFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case fp16, fp8, int8

    public var bytesPerElement: Int { self == .fp16 ? 2 : 1 }
}
