import Foundation

/// One prompt of a dataset file.
public struct DatasetEntry: Sendable, Hashable, Codable {
    public var prompt: String
    public var maxTokens: Int?

    public init(prompt: String, maxTokens: Int? = nil) {
        self.prompt = prompt
        self.maxTokens = maxTokens
    }

    /// Reads JSONL (`{"prompt": "...", "max_tokens": 64}` a line; `text` or `input` also name
    /// the prompt) or, when a line is not JSON, takes the line itself as the prompt.
    public static func load(path: String) throws(LoadConfigurationError) -> [DatasetEntry] {
        let lines = try JSONLines.read(path: path, option: "--dataset")
        var entries: [DatasetEntry] = []
        for (number, line) in lines {
            guard line.hasPrefix("{") else {
                entries.append(DatasetEntry(prompt: line))
                continue
            }
            let object = try JSONLines.object(line, path: path, line: number, option: "--dataset")
            guard let prompt = (object["prompt"] ?? object["text"] ?? object["input"]) as? String else {
                throw LoadConfigurationError("--dataset: \(path):\(number): no \"prompt\" string")
            }
            let maxTokens = (object["max_tokens"] ?? object["output_tokens"]) as? Int
            if let maxTokens, maxTokens <= 0 {
                throw LoadConfigurationError("--dataset: \(path):\(number): max_tokens must be positive")
            }
            entries.append(DatasetEntry(prompt: prompt, maxTokens: maxTokens))
        }
        guard !entries.isEmpty else { throw LoadConfigurationError("--dataset: '\(path)' holds no prompts") }
        return entries
    }
}

/// Line-oriented JSON files (datasets, traces, expectations), with errors that name the line.
enum JSONLines {
    /// Non-empty lines, trimmed, with their 1-based line numbers.
    static func read(path: String, option: String) throws(LoadConfigurationError) -> [(Int, String)] {
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LoadConfigurationError("\(option): cannot read '\(path)'")
        }
        return contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : (index + 1, trimmed)
        }
    }

    static func object(_ line: String, path: String, line number: Int, option: String) throws(LoadConfigurationError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw LoadConfigurationError("\(option): \(path):\(number): not a JSON object")
        }
        return object
    }
}
