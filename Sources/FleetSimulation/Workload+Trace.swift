import Foundation
import GatewayCore

extension Workload {
    /// Reads a JSONL trace: one object per line, `{"arrival_s": 0.0, "input_tokens": 2048,
    /// "output_tokens": 128}` with optional `"prefix_id"` (string or integer) and `"priority"`
    /// (`low`, `normal`, `high`). Blank lines are skipped; anything else wrong is an error
    /// naming the file and line.
    public init(traceFile path: String) throws(SimulationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulationError("workload '\(path)': no such file (expected a JSONL trace or poisson:rate=…,input=…,output=…)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SimulationError("workload \(path): not UTF-8 text")
        }
        var requests: [WorkloadRequest] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard requests.count < Workload.maxRequests else {
                throw SimulationError("workload \(path): more than \(Workload.maxRequests) requests")
            }
            requests.append(try Self.request(from: trimmed, at: "\(path):\(offset + 1)"))
        }
        guard !requests.isEmpty else { throw SimulationError("workload \(path): no requests") }
        self.init(requests: requests, label: path)
    }

    static let traceKeys: Set<String> = ["arrival_s", "input_tokens", "output_tokens", "prefix_id", "priority"]

    static func request(from line: String, at place: String) throws(SimulationError) -> WorkloadRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw SimulationError("\(place): not a JSON object")
        }
        if let unknown = object.keys.sorted().first(where: { !Self.traceKeys.contains($0) }) {
            throw SimulationError("\(place): unknown field '\(unknown)' (known: \(Self.traceKeys.sorted().joined(separator: ", ")))")
        }
        guard let arrival = (object["arrival_s"] as? NSNumber)?.doubleValue, arrival.isFinite, arrival >= 0, arrival <= 1e9 else {
            throw SimulationError("\(place): 'arrival_s' must be a number of seconds ≥ 0")
        }
        func tokens(_ key: String) throws(SimulationError) -> Int {
            guard let number = object[key] as? NSNumber, let value = Int(exactly: number.doubleValue),
                (1...Workload.maxTokensPerRequest).contains(value)
            else {
                throw SimulationError("\(place): '\(key)' must be an integer in 1...\(Workload.maxTokensPerRequest)")
            }
            return value
        }
        let input = try tokens("input_tokens")
        let output = try tokens("output_tokens")
        var prefixID: String?
        switch object["prefix_id"] {
        case nil, is NSNull: prefixID = nil
        case let text as String: prefixID = text
        case let number as NSNumber: prefixID = number.stringValue
        default: throw SimulationError("\(place): 'prefix_id' must be a string or an integer")
        }
        var priority = Priority.normal
        if let value = object["priority"] {
            guard let text = value as? String, let parsed = Priority(name: text) else {
                throw SimulationError("\(place): 'priority' must be \"low\", \"normal\" or \"high\"")
            }
            priority = parsed
        }
        return WorkloadRequest(arrival: arrival, inputTokens: input, outputTokens: output, prefixID: prefixID, priority: priority)
    }
}

extension Priority {
    init?(name: String) {
        switch name.lowercased() {
        case "low": self = .low
        case "normal": self = .normal
        case "high": self = .high
        default: return nil
        }
    }
}
