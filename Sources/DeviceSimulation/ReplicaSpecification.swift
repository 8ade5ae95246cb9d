/// A replica as the command line names it: `MODEL[:bf16|fp8][:kv-fp16|kv-fp8|kv-int8][:tpN]`,
/// e.g. `llama-3.1-70b:fp8:kv-fp8:tp2` or `smollm2:tp1`.
public struct ReplicaSpecification: Sendable, Hashable {
    public var model: String
    public var weights: WeightFormat?
    public var kv: KVFormat?
    public var tensorParallel: Int

    public init(model: String, weights: WeightFormat? = nil, kv: KVFormat? = nil, tensorParallel: Int = 1) {
        self.model = model
        self.weights = weights
        self.kv = kv
        self.tensorParallel = tensorParallel
    }

    public init(parsing text: String) throws(DeviceSimulationError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let model = parts.first, !model.isEmpty else {
            throw DeviceSimulationError(.invalidSpecification, "replica '\(text)': expected MODEL[:bf16|fp8][:kv-fp16|kv-fp8|kv-int8][:tpN]")
        }
        self.init(model: model.lowercased())
        for part in parts.dropFirst() {
            let token = part.lowercased()
            if let weights = WeightFormat(rawValue: token) {
                self.weights = weights
            } else if token.hasPrefix("kv-"), let kv = KVFormat(rawValue: String(token.dropFirst(3))) {
                self.kv = kv
            } else if token.hasPrefix("tp"), let degree = Int(token.dropFirst(2)), (1...1024).contains(degree) {
                self.tensorParallel = degree
            } else {
                throw DeviceSimulationError(
                    .invalidSpecification,
                    "replica '\(text)': unknown part '\(part)' (expected bf16, fp8, kv-fp16, kv-fp8, kv-int8 or tpN)"
                )
            }
        }
    }
}
