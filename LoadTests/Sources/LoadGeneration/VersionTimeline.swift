/// Which model versions were in force (took weighted traffic) when, as a run's admin actions
/// changed them: the listing before the first action, then each action's listing after its
/// answer. While an action is in flight, sent but not answered, both listings count: the
/// change lands somewhere in between.
struct VersionTimeline: Sendable {
    private struct Span {
        var from: Double
        var to: Double
        var versions: Set<String>
    }

    private let spans: [Span]

    init(inForceAtStart: [String], outcomes: [AdminActionOutcome]) {
        var spans: [Span] = []
        var current = Set(inForceAtStart)
        var from = -Double.infinity
        for outcome in outcomes.sorted(by: { $0.sentAt < $1.sentAt }) {
            let after = Set(outcome.inForceAfter)
            spans.append(Span(from: from, to: outcome.sentAt, versions: current))
            spans.append(Span(from: outcome.sentAt, to: outcome.answeredAt, versions: current.union(after)))
            current = after
            from = outcome.answeredAt
        }
        spans.append(Span(from: from, to: .infinity, versions: current))
        self.spans = spans
    }

    /// Every version in force at some moment between `start` and `end` (seconds from the run's start).
    func versions(from start: Double, to end: Double) -> Set<String> {
        self.spans.filter { $0.from <= end && $0.to >= start }.reduce(into: Set()) { $0.formUnion($1.versions) }
    }
}
