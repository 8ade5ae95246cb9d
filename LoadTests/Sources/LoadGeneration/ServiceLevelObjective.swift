import Foundation

/// Per-request targets for goodput: a request counts only when it succeeded and met each
/// target that is set.
public struct ServiceLevelObjective: Sendable, Hashable, Codable {
    public var ttft: Double?
    public var tpot: Double?
    public var endToEnd: Double?

    public init(ttft: Double? = nil, tpot: Double? = nil, endToEnd: Double? = nil) {
        self.ttft = ttft
        self.tpot = tpot
        self.endToEnd = endToEnd
    }

    /// Parses `ttft=500ms,tpot=50ms,e2e=2s` (units us, ms, s, m; bare numbers are ms).
    public init(parsing text: String) throws(LoadConfigurationError) {
        self.init()
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let seconds = DurationText.seconds(parts[1], bareUnit: 1e-3) else {
                throw LoadConfigurationError("--slo: '\(item)' is not NAME=DURATION (e.g. ttft=500ms)")
            }
            switch parts[0].lowercased() {
            case "ttft": self.ttft = seconds
            case "tpot": self.tpot = seconds
            case "e2e", "e2el": self.endToEnd = seconds
            default: throw LoadConfigurationError("--slo: unknown target '\(parts[0])' (ttft, tpot, e2e)")
            }
        }
    }

    public func isMet(by record: RequestRecord) -> Bool {
        guard record.succeeded else { return false }
        if let target = self.ttft, (record.ttft ?? .infinity) > target { return false }
        // A one-token answer has no TPOT and cannot miss it.
        if let target = self.tpot, let tpot = record.tpot, tpot > target { return false }
        if let target = self.endToEnd, record.endToEnd > target { return false }
        return true
    }
}
