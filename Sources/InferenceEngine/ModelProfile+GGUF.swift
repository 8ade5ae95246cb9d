import DecodeKernels
import DeviceSimulation
import ModelRuntime

extension ModelProfile {
    /// The profile of a loaded Llama-architecture GGUF, from its metadata (layers, widths,
    /// heads, vocabulary, experts) and its tensors (stored bytes; tied embeddings when there
    /// is no `output.weight`). The label is the quant type holding most of the bytes.
    public init(gguf file: GGUFFile, name: String, kvFormat: KVFormat = .fp16) throws {
        let runtime = try ModelRuntime.LlamaConfiguration(file: file)
        let experts = try file.optionalInteger("llama.expert_count") ?? 1
        let expertsPerToken = try file.optionalInteger("llama.expert_used_count") ?? 1
        let configuration = DeviceSimulation.LlamaConfiguration(
            layers: runtime.blockCount, hiddenSize: runtime.embeddingLength, attentionHeads: runtime.headCount,
            kvHeads: runtime.kvHeadCount, intermediateSize: runtime.feedForwardLength,
            vocabularySize: runtime.vocabularySize, experts: max(experts, 1), expertsPerToken: max(expertsPerToken, 1),
            tiedEmbeddings: file.tensorInfo("output.weight") == nil)
        var bytesByType: [QuantType: Int] = [:]
        for tensor in file.tensors { bytesByType[tensor.type, default: 0] += tensor.byteCount }
        let weightBytes = bytesByType.values.reduce(0, +)
        let label = bytesByType.max { $0.value < $1.value }.map { "\($0.key)" } ?? "unknown"
        try self.init(
            name: name, configuration: configuration, weightBytes: weightBytes, weightLabel: label, kvFormat: kvFormat)
    }
}

extension KVFormat {
    /// The device-side format of the CPU cache's format (same bytes per element).
    public init(_ format: KVCacheFormat) {
        switch format {
        case .int8: self = .int8
        case .fp8: self = .fp8
        case .fp16: self = .fp16
        }
    }
}
