import LoadGeneration
import Testing

@Suite("Admin actions and the served-version check")
struct AdminReportTests {
    @Test("actions parse from their written form; bad ones are one line naming the problem")
    func parsing() throws {
        let canary = try AdminAction(parsing: "9s canary smollm2@2 weight=0.1")
        #expect(canary == AdminAction(at: 9, kind: .canary, model: "smollm2", version: "2", weight: 0.1))
        #expect(canary.text == "9s canary smollm2@2 weight=0.1")
        #expect(try AdminAction(parsing: "500ms load smollm2@2 replicas=1").replicas == 1)
        #expect(try AdminAction(parsing: "30s rollback smollm2").version == nil)
        let bad: [(String, String)] = [
            ("5s", "expected AT ACTION"),
            ("soon load smollm2@2", "not a time"),
            ("5s upgrade smollm2@2", "unknown action 'upgrade'"),
            ("5s load smollm2", "needs MODEL@VERSION"),
            ("5s rollback smollm2@1", "names a model"),
            ("5s canary smollm2@2", "weight=W"),
            ("5s canary smollm2@2 weight=1.5", "weight=W"),
            ("5s promote smollm2@2 weight=0.5", "belongs to canary"),
            ("5s load smollm2@2 replicas=0", "1...64"),
            ("5s load smollm2@2 color=red", "unknown option"),
            ("5s load ../etc@2", "only letters"),
        ]
        for (text, message) in bad {
            #expect(throws: LoadConfigurationError.self, "\(text)") { try AdminAction(parsing: text) }
            do {
                _ = try AdminAction(parsing: text)
            } catch {
                #expect(error.description.contains(message), "\(text): \(error.description)")
            }
        }
    }

    /// A canary sent at 10 s (answered 11 s), promoted at 20 s (answered 21 s), version 1
    /// retired at 25 s: which response versions pass.
    @Test("a response counts only when its version was in force between sending and its head")
    func versionCheck() {
        func outcome(_ text: String, sent: Double, answered: Double, inForce: [String], status: Int = 200) -> AdminActionOutcome {
            // The written forms here are all valid.
            let action = (try? AdminAction(parsing: text)) ?? AdminAction(at: 0, kind: .load, model: "x", version: "0")
            return AdminActionOutcome(action: action, sentAt: sent, answeredAt: answered, status: status, message: "", inForceAfter: inForce)
        }
        let outcomes = [
            outcome("10s canary smollm2@2 weight=0.1", sent: 10, answered: 11, inForce: ["smollm2@1", "smollm2@2"]),
            outcome("20s promote smollm2@2", sent: 20, answered: 21, inForce: ["smollm2@2"]),
            outcome("25s retire smollm2@1", sent: 25, answered: 26, inForce: ["smollm2@2"]),
        ]
        func record(_ index: Int, start: Double, head: Double = 0.05, version: String, model: String? = nil) -> RequestRecord {
            RequestRecord(
                index: index, start: start, status: 200, endToEnd: 1, servedVersion: version,
                servedModel: model ?? "smollm2@\(version)", timeToHead: head)
        }
        let records = [
            record(0, start: 2, version: "1"),
            record(1, start: 10.5, version: "2"),  // the canary in flight: either version
            record(2, start: 15, version: "2"),
            record(3, start: 15, version: "1"),
            record(4, start: 19.9, head: 0.5, version: "2"),
            record(5, start: 20.5, version: "1"),  // the promotion in flight: version 1 still possible
            record(6, start: 30, version: "2"),
            // Violations: version 2 before the canary, version 1 after the promotion was
            // answered, a model field that disagrees with the header, a version never loaded.
            record(7, start: 5, version: "2"),
            record(8, start: 22, version: "1"),
            record(9, start: 15, version: "2", model: "smollm2@1"),
            record(10, start: 15, version: "3"),
            RequestRecord(index: 11, start: 22, status: 429, errorKind: "http_429", servedVersion: "1"),
        ]
        let report = AdminReport(inForceAtStart: ["smollm2@1"], actions: outcomes, records: records)
        #expect(report.violations.map(\.index) == [7, 8, 9, 10])
        #expect(report.violations.first?.inForce == ["smollm2@1"])
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("4 responses came from a version not in force") == true)

        let clean = AdminReport(inForceAtStart: ["smollm2@1"], actions: outcomes, records: Array(records.prefix(7)))
        #expect(clean.violations.isEmpty && clean.failures.isEmpty)
        let summary = LoadSummary(records: Array(records.prefix(7)))
        #expect(summary.servedVersions == ["smollm2@1": 3, "smollm2@2": 4])

        let refused = outcome("9s validate smollm2@2", sent: 9, answered: 9.5, inForce: ["smollm2@1"], status: 422)
        let failed = AdminReport(inForceAtStart: ["smollm2@1"], actions: [refused], records: [])
        #expect(failed.failures == ["admin action '9s validate smollm2@2' failed: HTTP 422, "])
    }
}
