import Foundation

/// The admin side of a run: the versions in force at its start, each admin action's outcome,
/// and every response whose version was not in force while the gateway chose it (between
/// sending the request and its response head) or whose `model` field disagrees with its
/// version header.
public struct AdminReport: Sendable, Hashable, Codable {
    public struct Violation: Sendable, Hashable, Codable {
        public var index: Int
        public var start: Double
        /// `MODEL@VERSION` as the response named it, or what was wrong with the naming.
        public var served: String
        /// What was in force over the request's window.
        public var inForce: [String]
    }

    public var inForceAtStart: [String]
    public var actions: [AdminActionOutcome]
    public var violations: [Violation]

    public init(inForceAtStart: [String], actions: [AdminActionOutcome], records: [RequestRecord]) {
        self.inForceAtStart = inForceAtStart
        self.actions = actions
        let timeline = VersionTimeline(inForceAtStart: inForceAtStart, outcomes: actions)
        self.violations = records.filter(\.succeeded).compactMap { record in
            let window = timeline.versions(from: record.start, to: record.start + (record.timeToHead ?? record.endToEnd))
            let served: String
            if let version = record.servedVersion, let name = record.servedAs {
                guard name.hasSuffix("@\(version)") else {
                    return Violation(
                        index: record.index, start: record.start, served: "\(name) with header version \(version)",
                        inForce: window.sorted())
                }
                served = name
            } else {
                served = "no x-switchyard-model-version header"
            }
            guard !window.contains(served) else { return nil }
            return Violation(index: record.index, start: record.start, served: served, inForce: window.sorted())
        }
    }

    /// One line per failed action and one for the version check, for the run's checks.
    public var failures: [String] {
        var failures = self.actions.filter { !$0.succeeded }.map { outcome in
            "admin action '\(outcome.action.text)' failed: \(outcome.status.map { "HTTP \($0)" } ?? "no answer"), \(outcome.message)"
        }
        if let first = self.violations.first {
            failures.append(
                "\(self.violations.count) responses came from a version not in force (first: #\(first.index) at \(String(format: "%.2f", first.start)) s served by \(first.served); in force: \(first.inForce.joined(separator: ", ")))")
        }
        return failures
    }
}
