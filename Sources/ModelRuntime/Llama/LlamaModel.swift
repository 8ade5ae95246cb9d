import DecodeKernels

/// A Llama-family model loaded from GGUF: its configuration and its weights as views into
/// the memory-mapped file (nothing is copied or dequantized at load). Immutable, so one
/// model serves any number of `LlamaContext`s.
///
/// `@unchecked Sendable`: every property is a `let`; the weight views point into the
/// read-only mapping of `file`, which this object keeps alive.
public final class LlamaModel: @unchecked Sendable {
    public let file: GGUFFile
    public let configuration: LlamaConfiguration
    public let tokenEmbedding: QuantizedMatrix
    public let layers: [LlamaLayerWeights]
    public let outputNorm: UnsafeBufferPointer<Float>
    /// The output head; the token embedding itself when the file ties them.
    public let output: QuantizedMatrix
    /// RoPE with the file's theta, tabulated for the first positions of the context window.
    public let rotary: RotaryEmbedding

    /// Positions whose RoPE rotations are tabulated (later ones are computed on the fly); a
    /// cap, so that a file claiming a huge context window cannot make the table huge.
    static let maxTabulatedPositions = 16_384

    /// Opens and validates `path`: every tensor the configuration needs, with its shape.
    public convenience init(path: String) throws {
        try self.init(file: GGUFFile(path: path))
    }

    public init(file: GGUFFile) throws {
        let configuration = try LlamaConfiguration(file: file)
        let c = configuration
        self.file = file
        self.configuration = configuration
        self.tokenEmbedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, columns: c.embeddingLength)
        self.layers = try (0..<c.blockCount).map { index in
            let prefix = "blk.\(index)."
            return LlamaLayerWeights(
                attentionNorm: try file.vector(prefix + "attn_norm.weight", count: c.embeddingLength),
                query: try file.matrix(prefix + "attn_q.weight", rows: c.queryLength, columns: c.embeddingLength),
                key: try file.matrix(prefix + "attn_k.weight", rows: c.kvLength, columns: c.embeddingLength),
                value: try file.matrix(prefix + "attn_v.weight", rows: c.kvLength, columns: c.embeddingLength),
                attentionOutput: try file.matrix(prefix + "attn_output.weight", rows: c.embeddingLength, columns: c.queryLength),
                feedForwardNorm: try file.vector(prefix + "ffn_norm.weight", count: c.embeddingLength),
                gate: try file.matrix(prefix + "ffn_gate.weight", rows: c.feedForwardLength, columns: c.embeddingLength),
                up: try file.matrix(prefix + "ffn_up.weight", rows: c.feedForwardLength, columns: c.embeddingLength),
                down: try file.matrix(prefix + "ffn_down.weight", rows: c.embeddingLength, columns: c.feedForwardLength)
            )
        }
        self.rotary = RotaryEmbedding(
            headDimension: c.headDimension, base: c.ropeFrequencyBase,
            maxPositions: min(c.contextLength, Self.maxTabulatedPositions))
        self.outputNorm = try file.vector("output_norm.weight", count: c.embeddingLength)
        if file.tensorInfo("output.weight") != nil {
            self.output = try file.matrix("output.weight", rows: c.vocabularySize, columns: c.embeddingLength)
        } else {
            self.output = self.tokenEmbedding
        }
    }
}
