/// Models the simulator knows by name, from their published configurations (Hugging Face
/// config.json of each checkpoint). A model with fixed stored weights (a GGUF file) carries
/// its size; the others are built in BF16 or FP8 on request.
public struct ModelCatalog: Sendable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var configuration: LlamaConfiguration
        /// Stored size and label of a fixed-format checkpoint; nil: BF16 or FP8 on request.
        public var fixedWeights: (bytes: Int, label: String)?

        public init(name: String, configuration: LlamaConfiguration, fixedWeights: (bytes: Int, label: String)? = nil) {
            self.name = name
            self.configuration = configuration
            self.fixedWeights = fixedWeights
        }

        public static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.name == rhs.name && lhs.configuration == rhs.configuration
                && lhs.fixedWeights?.bytes == rhs.fixedWeights?.bytes && lhs.fixedWeights?.label == rhs.fixedWeights?.label
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(self.name) }
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Adds or replaces (by name) an entry, e.g. one derived from a loaded GGUF.
    public mutating func register(_ entry: Entry) {
        self.entries.removeAll { $0.name == entry.name }
        self.entries.append(entry)
    }

    public var names: [String] { self.entries.map(\.name) }

    /// The profile of `name` with `weights` (default BF16) and `kv` (default FP16).
    public func profile(
        named name: String, weights: WeightFormat? = nil, kv: KVFormat? = nil
    ) throws(DeviceSimulationError) -> ModelProfile {
        guard let entry = self.entries.first(where: { $0.name == name.lowercased() }) else {
            throw DeviceSimulationError(
                .unknownProfile, "unknown model profile '\(name)' (known: \(self.names.joined(separator: ", ")))"
            )
        }
        if let fixed = entry.fixedWeights {
            if let weights {
                throw DeviceSimulationError(
                    .invalidSpecification, "model '\(entry.name)' is stored as \(fixed.label); it has no \(weights.rawValue) variant"
                )
            }
            return try ModelProfile(
                name: entry.name, configuration: entry.configuration, weightBytes: fixed.bytes, weightLabel: fixed.label,
                kvFormat: kv ?? .fp16
            )
        }
        return try ModelProfile(name: entry.name, configuration: entry.configuration, weights: weights ?? .bf16, kvFormat: kv ?? .fp16)
    }

    /// Llama 3.1 (8B, 70B, 405B), Mixtral 8x7B, the Llama 2 models of NVIDIA's published
    /// TensorRT-LLM measurements (the fidelity table), and SmolLM2-135M as this repository
    /// ships it (Models/smollm2/1, Q4_1 GGUF: the bytes of its tensors, not of the file).
    public static let standard = ModelCatalog(entries: [
        Entry(name: "llama-3.1-8b", configuration: LlamaConfiguration(
            layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, intermediateSize: 14336, vocabularySize: 128_256)),
        Entry(name: "llama-3.1-70b", configuration: LlamaConfiguration(
            layers: 80, hiddenSize: 8192, attentionHeads: 64, kvHeads: 8, intermediateSize: 28672, vocabularySize: 128_256)),
        Entry(name: "llama-3.1-405b", configuration: LlamaConfiguration(
            layers: 126, hiddenSize: 16384, attentionHeads: 128, kvHeads: 8, intermediateSize: 53248, vocabularySize: 128_256)),
        Entry(name: "mixtral-8x7b", configuration: LlamaConfiguration(
            layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 8, intermediateSize: 14336, vocabularySize: 32000,
            experts: 8, expertsPerToken: 2)),
        Entry(name: "llama-2-7b", configuration: LlamaConfiguration(
            layers: 32, hiddenSize: 4096, attentionHeads: 32, kvHeads: 32, intermediateSize: 11008, vocabularySize: 32000)),
        Entry(name: "llama-2-13b", configuration: LlamaConfiguration(
            layers: 40, hiddenSize: 5120, attentionHeads: 40, kvHeads: 40, intermediateSize: 13824, vocabularySize: 32000)),
        Entry(name: "llama-2-70b", configuration: LlamaConfiguration(
            layers: 80, hiddenSize: 8192, attentionHeads: 64, kvHeads: 8, intermediateSize: 28672, vocabularySize: 32000)),
        Entry(
            name: "smollm2",
            configuration: LlamaConfiguration(
                layers: 30, hiddenSize: 576, attentionHeads: 9, kvHeads: 3, intermediateSize: 1536, vocabularySize: 49152,
                tiedEmbeddings: true),
            fixedWeights: (bytes: 96_576_768, label: "Q4_1")),
    ])
}
