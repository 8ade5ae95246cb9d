import BatchScheduling
import DeviceSimulation
import FleetSimulation
import Foundation
import GatewayCore
import InferenceEngine
import Testing

/// Records the steps a threaded loop released, as `StepRecord`s.
final class ReplayRecorder: StepLoopObserver, @unchecked Sendable {
    // @unchecked Sendable: every property is read and written under `lock`.
    private let lock = NSLock()
    private var records: [StepRecord] = []
    private var finished = 0

    func stepLoop(_ loop: ReplicaStepLoop, didCancel ids: [RequestID]) {}

    func stepLoop(_ loop: ReplicaStepLoop, didRelease step: Step, executed: ExecutedStep) {
        self.lock.withLock { self.records.append(StepRecord(replica: 0, step: step)) }
    }

    func stepLoop(_ loop: ReplicaStepLoop, didFinish sequences: [CompletedSequence]) {
        self.lock.withLock { self.finished += sequences.count }
    }

    var steps: [StepRecord] { self.lock.withLock { self.records } }
    var finishedCount: Int { self.lock.withLock { self.finished } }
}

@Suite struct ReplayTests {
    /// A workload that preempts (a pool of 1,024 tokens for 8 running sequences), shares
    /// prefixes and mixes priorities, all arriving at once.
    static func workload() -> Workload {
        let requests = (0..<24).map { index in
            WorkloadRequest(
                arrival: 0, inputTokens: 40 + (index * 37) % 300, outputTokens: 5 + (index * 11) % 40,
                prefixID: index % 3 == 0 ? "system" : nil, priority: index % 5 == 0 ? .high : .normal)
        }
        return Workload(requests: requests, label: "replay")
    }

    /// The same workload through the serving replica's threaded step loop (with the simulated
    /// executor) and through `simulate`'s virtual clock: step for step the same schedule,
    /// because both drive the one `StepDriver` over the one `Scheduler`.
    @Test func theReplicaLoopAndSimulateScheduleIdentically() async throws {
        var setup = SimulationSetup(
            fleet: FleetShape(nodes: 1, devicesPerNode: 1),
            profile: try ModelCatalog.standard.profile(named: "llama-3.1-8b", weights: .fp8, kv: .fp8))
        setup.kvTokensPerReplica = 1024
        setup.maxNumSeqs = 8
        setup.maxBatchedTokens = 256
        setup.recordSteps = true
        let simulator = try FleetSimulator(setup: setup)
        let workload = Self.workload()
        let simulated = simulator.run(workload)
        #expect(simulated.finishTimes.allSatisfy { $0 != nil })
        #expect(simulated.preemptions > 0)
        #expect(simulated.prefixCacheHits > 0)

        let device = try #require(simulator.devices.first)
        let loop = ReplicaStepLoop(
            driver: StepDriver(scheduler: simulator.scheduler, device: device),
            executor: SimulatedStepExecutor(costModel: device.costModel))
        for (index, request) in workload.requests.enumerated() {
            let decision = loop.submit(
                SchedulerRequest(
                    id: RequestID("r\(index)"),
                    promptTokens: workload.promptTokens(of: index, blockSize: 16, vocabularySize: setup.profile.vocabularySize),
                    maxTokens: request.outputTokens, priority: request.priority, arrival: .zero))
            #expect(decision == .accepted)
        }
        let recorder = ReplayRecorder()
        loop.start(name: "replay", observer: recorder)
        defer { loop.stop() }
        for _ in 0..<3000 where recorder.finishedCount < workload.requests.count {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(recorder.finishedCount == workload.requests.count)
        let threaded = recorder.steps
        #expect(threaded.count == simulated.stepRecords.count)
        for (index, (live, virtual)) in zip(threaded, simulated.stepRecords).enumerated() where live != virtual {
            Issue.record("step \(index) differs:\n  loop     \(live)\n  simulate \(virtual)")
            break
        }
        #expect(loop.statistics.generatedTokens == simulated.outputTokens.reduce(0, +))
    }
}
