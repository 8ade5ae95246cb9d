import Foundation

/// A run's full report: what was run, the summary and every request's record. The JSON
/// form is this value encoded; the table and the HTML page are renderings of it.
public struct LoadReport: Sendable, Codable {
    /// What ran, in words (scenario name, target, protocol, schedule, workload).
    public var settings: [String: String]
    public var startedAt: Date
    public var summary: LoadSummary
    public var records: [RequestRecord]
    /// With admin actions: their outcomes and the served-version check.
    public var admin: AdminReport?

    public init(settings: [String: String], startedAt: Date, summary: LoadSummary, records: [RequestRecord], admin: AdminReport? = nil) {
        self.settings = settings
        self.startedAt = startedAt
        self.summary = summary
        self.records = records
        self.admin = admin
    }

    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Plain values only: encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// The latency figures the table and the charts show, with their per-request values.
    var latencySeries: [(name: String, summary: LatencySummary, values: [Double])] {
        let ok = self.records.filter(\.succeeded)
        return [
            ("TTFT", self.summary.ttft, ok.compactMap(\.ttft)),
            ("ITL", self.summary.itl, ok.flatMap(\.interTokenGaps)),
            ("TPOT", self.summary.tpot, ok.compactMap(\.tpot)),
            ("E2E", self.summary.endToEnd, ok.map(\.endToEnd)),
        ]
    }
}
