import Foundation
import LoadGeneration

/// A validated run: executes it, prints the progress line and the table, writes the reports
/// and says whether the checks passed.
struct LoadPlan {
    var clientConfiguration: LoadClientConfiguration
    var schedule: LoadSchedule
    var limits: LoadLimits
    var workload: Workload
    var slo: ServiceLevelObjective?
    /// Admin actions to run beside the load (a hot swap), when the run has any.
    var admin: AdminDriver?
    var settings: [String: String]
    var jsonPath: String?
    var htmlPath: String?
    var writeExpectPath: String?
    var showProgress: Bool
    var checks: RunChecks

    func execute() async throws(LoadConfigurationError) -> Bool {
        // The versions in force before the first action; an unreachable admin API or a
        // refused token ends the run here, before any load.
        let inForceAtStart = try await self.admin?.versionsInForce() ?? []
        let client = LoadClient(configuration: self.clientConfiguration)
        let runner = LoadRunner(client: client, schedule: self.schedule, limits: self.limits, seed: self.workload.seed)
        let progress = ProgressLine(expected: self.limits.maxRequests, enabled: self.showProgress)
        let workload = self.workload
        let admin = self.admin
        let startedAt = Date()
        let started = ContinuousClock.now
        let (records, outcomes) = await withTaskGroup(of: RunResult?.self) { group in
            group.addTask {
                async let outcomes = admin?.run(origin: started, inForce: inForceAtStart) { outcome in
                    progress.note("admin \(outcome.action.text): \(outcome.status.map(String.init) ?? "no answer") \(outcome.message)")
                }
                let records = await runner.run(
                    origin: started,
                    makeRequest: { index in
                        progress.issue()
                        return workload.request(index)
                    },
                    onRecord: { progress.record($0) })
                return RunResult(records: records, outcomes: await outcomes ?? [])
            }
            group.addTask {
                await progress.run()
                return nil
            }
            // The run's task is the one that returns a result; the progress line then stops.
            var result = RunResult(records: [], outcomes: [])
            while let finished = await group.next() {
                if let finished {
                    result = finished
                    group.cancelAll()
                }
            }
            return (result.records, result.outcomes)
        }
        progress.finish()
        await client.close()
        let elapsed = DurationText.seconds(ContinuousClock.now - started)

        let summary = LoadSummary(records: records, duration: elapsed, slo: self.slo)
        let adminReport = admin.map { _ in AdminReport(inForceAtStart: inForceAtStart, actions: outcomes, records: records) }
        let report = LoadReport(settings: self.settings, startedAt: startedAt, summary: summary, records: records, admin: adminReport)
        print(report.table())
        if let path = self.jsonPath { try Self.write(report.json(), to: path) }
        if let path = self.htmlPath { try Self.write(Data(report.html().utf8), to: path) }
        if let path = self.writeExpectPath { try Self.write(Data(Expectations.jsonLines(from: records).utf8), to: path) }

        let failures = self.checks.failures(summary) + (adminReport?.failures ?? [])
        for failure in failures {
            print("check failed: \(failure)")
        }
        return failures.isEmpty
    }

    private struct RunResult: Sendable {
        var records: [RequestRecord]
        var outcomes: [AdminActionOutcome]
    }

    private static func write(_ data: Data, to path: String) throws(LoadConfigurationError) {
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw LoadConfigurationError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
