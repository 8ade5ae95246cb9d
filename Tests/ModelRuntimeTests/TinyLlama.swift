import DecodeKernels
import ModelRuntime

/// A small random Llama in GGUF, written with `GGUFWriter`: 2 layers, 4 query heads over 2
/// KV heads of 16, so grouped-query attention, RoPE and the paged cache all run for real in
/// milliseconds. Weights are drawn from a seeded generator and stored in the formats the real
/// model uses (Q8_0 embedding, Q4_1 projections, F32 norms), plus an untied output head.
struct TinyLlama {
    var contextLength = 64
    var embeddingLength = 64
    var feedForwardLength = 96
    var headCount = 4
    var kvHeadCount = 2
    var blockCount = 2
    var vocabularySize = 80
    var ropeBase: Float = 10_000
    var tiedOutput = false
    var seed: UInt64 = 7
    /// Storage of the embedding and output head, and of the projections.
    var tableType: QuantType = .q8_0
    var projectionType: QuantType = .q4_1
    /// Tensors left out of the file (to test loading errors).
    var omittedTensors: Set<String> = []

    struct Generator {
        var state: UInt64
        mutating func next() -> Float {
            // SplitMix64 → uniform in [-1, 1).
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) / Float(1 << 23) - 1
        }
    }

    func writer() -> GGUFWriter {
        var writer = GGUFWriter()
        var generator = Generator(state: self.seed)
        writer.set("general.architecture", .string("llama"))
        writer.set("llama.context_length", .uint32(UInt32(self.contextLength)))
        writer.set("llama.embedding_length", .uint32(UInt32(self.embeddingLength)))
        writer.set("llama.block_count", .uint32(UInt32(self.blockCount)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(self.feedForwardLength)))
        writer.set("llama.attention.head_count", .uint32(UInt32(self.headCount)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(self.kvHeadCount)))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.set("llama.rope.freq_base", .float32(self.ropeBase))
        writer.set("llama.vocab_size", .uint32(UInt32(self.vocabularySize)))

        func add(_ name: String, rows: Int, columns: Int, type: QuantType, scale: Float) {
            guard !self.omittedTensors.contains(name) else { return }
            let values = (0..<(rows * columns)).map { _ in generator.next() * scale }
            var data = [UInt8](repeating: 0, count: rows * (type.rowBytes(elements: columns) ?? 0))
            let rowBytes = type.rowBytes(elements: columns) ?? 0
            values.withUnsafeBufferPointer { source in
                data.withUnsafeMutableBytes { destination in
                    for row in 0..<rows {
                        quantizeRow(type, source.baseAddress! + row * columns, count: columns, into: destination.baseAddress! + row * rowBytes)
                    }
                }
            }
            writer.addTensor(name: name, dimensions: rows == 1 ? [columns] : [columns, rows], type: type, data: data)
        }
        let d = self.embeddingLength
        func addNorm(_ name: String) {
            writer.addTensor(name: name, dimensions: [d], values: (0..<d).map { _ in 1 + 0.2 * generator.next() })
        }
        let q = self.headCount * (d / self.headCount)
        let kv = self.kvHeadCount * (d / self.headCount)
        add("token_embd.weight", rows: self.vocabularySize, columns: d, type: self.tableType, scale: 1)
        for layer in 0..<self.blockCount {
            let p = "blk.\(layer)."
            addNorm(p + "attn_norm.weight")
            add(p + "attn_q.weight", rows: q, columns: d, type: self.projectionType, scale: 0.3)
            add(p + "attn_k.weight", rows: kv, columns: d, type: self.projectionType, scale: 0.3)
            add(p + "attn_v.weight", rows: kv, columns: d, type: self.tableType, scale: 0.3)
            add(p + "attn_output.weight", rows: d, columns: q, type: self.projectionType, scale: 0.2)
            addNorm(p + "ffn_norm.weight")
            add(p + "ffn_gate.weight", rows: self.feedForwardLength, columns: d, type: self.projectionType, scale: 0.3)
            add(p + "ffn_up.weight", rows: self.feedForwardLength, columns: d, type: self.projectionType, scale: 0.3)
            add(p + "ffn_down.weight", rows: d, columns: self.feedForwardLength, type: self.projectionType, scale: 0.2)
        }
        addNorm("output_norm.weight")
        if !self.tiedOutput {
            add("output.weight", rows: self.vocabularySize, columns: d, type: self.tableType, scale: 0.5)
        }
        return writer
    }

    func write(to path: String) throws {
        try self.writer().write(to: path)
    }
}
