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
    var settings: [String: String]
    var jsonPath: String?
    var htmlPath: String?
    var writeExpectPath: String?
    var showProgress: Bool
    var checks: RunChecks

    func execute() async throws(LoadConfigurationError) -> Bool {
        let client = LoadClient(configuration: self.clientConfiguration)
        let runner = LoadRunner(client: client, schedule: self.schedule, limits: self.limits, seed: self.workload.seed)
        let progress = ProgressLine(expected: self.limits.maxRequests, enabled: self.showProgress)
        let workload = self.workload
        let startedAt = Date()
        let started = ContinuousClock.now
        let records = await withTaskGroup(of: [RequestRecord]?.self) { group in
            group.addTask {
                await runner.run(
                    makeRequest: { index in
                        progress.issue()
                        return workload.request(index)
                    },
                    onRecord: { progress.record($0) })
            }
            group.addTask {
                await progress.run()
                return nil
            }
            // The run's task is the one that returns records; the progress line then stops.
            var records: [RequestRecord] = []
            while let finished = await group.next() {
                if let finished {
                    records = finished
                    group.cancelAll()
                }
            }
            return records
        }
        progress.finish()
        await client.close()
        let elapsed = DurationText.seconds(ContinuousClock.now - started)

        let summary = LoadSummary(records: records, duration: elapsed, slo: self.slo)
        let report = LoadReport(settings: self.settings, startedAt: startedAt, summary: summary, records: records)
        print(report.table())
        if let path = self.jsonPath { try Self.write(report.json(), to: path) }
        if let path = self.htmlPath { try Self.write(Data(report.html().utf8), to: path) }
        if let path = self.writeExpectPath { try Self.write(Data(Expectations.jsonLines(from: records).utf8), to: path) }

        let failures = self.checks.failures(summary)
        for failure in failures {
            print("check failed: \(failure)")
        }
        return failures.isEmpty
    }

    private static func write(_ data: Data, to path: String) throws(LoadConfigurationError) {
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw LoadConfigurationError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }
}
