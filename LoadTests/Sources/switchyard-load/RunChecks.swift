import LoadGeneration

/// What a scenario demands of its run; each failure is one line for the terminal.
struct RunChecks {
    var maxFailed: Int?
    var requiredErrors: [String]
    var allowedErrors: [String]
    var maxMismatches: Int?
    var minSucceeded: Int?

    func failures(_ summary: LoadSummary) -> [String] {
        var failures: [String] = []
        if let maxFailed, summary.failed > maxFailed {
            failures.append("\(summary.failed) requests failed (at most \(maxFailed) allowed)")
        }
        for kind in self.requiredErrors where (summary.errorsByKind[kind] ?? 0) == 0 {
            failures.append("no \(kind) error occurred (required)")
        }
        if !self.allowedErrors.isEmpty {
            for (kind, count) in summary.errorsByKind.sorted(by: { $0.key < $1.key }) where !self.allowedErrors.contains(kind) {
                failures.append("\(count) \(kind) errors (only \(self.allowedErrors.joined(separator: ", ")) allowed)")
            }
        }
        if let maxMismatches, summary.mismatches > maxMismatches {
            failures.append("\(summary.mismatches) responses differ from the expected text (at most \(maxMismatches) allowed)")
        }
        if let minSucceeded, summary.succeeded < minSucceeded {
            failures.append("only \(summary.succeeded) requests succeeded (at least \(minSucceeded) required)")
        }
        return failures
    }
}
