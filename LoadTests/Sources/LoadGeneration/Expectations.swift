import Foundation

/// Expected response texts for `--expect` (greedy decoding): by request index, or by prompt
/// for datasets. The file is JSONL, `{"index": 3, "text": "..."}` or `{"prompt": "...",
/// "text": "..."}` a line; `--write-expect` writes the first form from a run.
public struct Expectations: Sendable, Hashable {
    public var byIndex: [Int: String]
    public var byPrompt: [String: String]

    public init(byIndex: [Int: String] = [:], byPrompt: [String: String] = [:]) {
        self.byIndex = byIndex
        self.byPrompt = byPrompt
    }

    public func text(index: Int, prompt: String) -> String? {
        self.byIndex[index] ?? self.byPrompt[prompt]
    }

    public static func load(path: String) throws(LoadConfigurationError) -> Expectations {
        var expectations = Expectations()
        for (number, line) in try JSONLines.read(path: path, option: "--expect") {
            let object = try JSONLines.object(line, path: path, line: number, option: "--expect")
            guard let text = object["text"] as? String else {
                throw LoadConfigurationError("--expect: \(path):\(number): no \"text\" string")
            }
            if let index = object["index"] as? Int {
                expectations.byIndex[index] = text
            } else if let prompt = object["prompt"] as? String {
                expectations.byPrompt[prompt] = text
            } else {
                throw LoadConfigurationError("--expect: \(path):\(number): needs \"index\" or \"prompt\"")
            }
        }
        return expectations
    }

    /// JSONL of each successful record's text by index, for a later run's `--expect`.
    public static func jsonLines(from records: [RequestRecord]) -> String {
        records.filter(\.succeeded).map { record in
            let object: [String: Any] = ["index": record.index, "text": record.text]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }
}
