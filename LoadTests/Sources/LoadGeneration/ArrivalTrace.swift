/// A JSONL arrival trace: `{"timestamp": 0.25}` a line (seconds from the start; `time` or
/// `offset` also accepted), optionally with a `prompt` or `input_tokens` (a synthetic prompt
/// of that many words) and `output_tokens`; arrivals without them use the run's workload.
public struct ArrivalTrace: Sendable {
    public var offsets: [Double]
    /// Per-arrival dataset entries when the trace carries prompts; else nil.
    public var entries: [DatasetEntry]?

    public static func load(path: String) throws(LoadConfigurationError) -> ArrivalTrace {
        var offsets: [Double] = []
        var prompts: [DatasetEntry] = []
        for (number, line) in try JSONLines.read(path: path, option: "--trace") {
            let object = try JSONLines.object(line, path: path, line: number, option: "--trace")
            guard let offset = (object["timestamp"] ?? object["time"] ?? object["offset"]) as? Double, offset >= 0,
                offset.isFinite
            else {
                throw LoadConfigurationError("--trace: \(path):\(number): no non-negative \"timestamp\" (seconds)")
            }
            if let last = offsets.last, offset < last {
                throw LoadConfigurationError("--trace: \(path):\(number): timestamps must not go backwards")
            }
            offsets.append(offset)
            let output = object["output_tokens"] as? Int
            if let prompt = object["prompt"] as? String {
                prompts.append(DatasetEntry(prompt: prompt, maxTokens: output))
            } else if let input = object["input_tokens"] as? Int, input > 0 {
                var generator = SplitMix64(seed: UInt64(number))
                prompts.append(DatasetEntry(prompt: SyntheticText.words(input, using: &generator), maxTokens: output))
            }
        }
        guard !offsets.isEmpty else { throw LoadConfigurationError("--trace: '\(path)' holds no arrivals") }
        return ArrivalTrace(
            offsets: offsets,
            entries: prompts.count == offsets.count ? prompts : nil)
    }
}
