import BatchScheduling
import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import Testing

/// An executor slower than its device: it sleeps `hostTime` and reports `deviceTime`.
struct SlowExecutor: StepExecutor {
    var inner: SimulatedStepExecutor
    var hostTime: Duration
    var deviceTime: Duration

    func execute(_ step: Step) -> ExecutedStep {
        Thread.sleep(forTimeInterval: Double(self.hostTime.components.attoseconds) * 1e-18 + Double(self.hostTime.components.seconds))
        var executed = self.inner.execute(step)
        executed.deviceTime = self.deviceTime
        return executed
    }
}

/// A replica device for a catalog model pinned to the first device of a one-device fleet.
func catalogDevice(_ name: String = "llama-3.1-8b", kvTokens: Int = 8192) throws -> ReplicaDevice {
    let profile = try ModelCatalog.standard.profile(named: name, weights: .fp8)
    let fleet = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 1)))
    return try fleet.pin("\(name)#0", profile: profile, kvReserveTokens: kvTokens)
}

func loopScheduler(blocks: Int = 512) throws -> Scheduler {
    try Scheduler(configuration: SchedulerConfiguration(maxNumBatchedTokens: 256, maxNumSeqs: 8, totalBlocks: blocks))
}

func tokens(_ count: Int, salt: Int32) -> [Int32] { (0..<Int32(count)).map { ($0 &* 7 &+ salt) % 1000 } }

@Suite(.serialized) struct PacingTests {
    @Test func aPacedStepIsNotReleasedBeforeItsSimulatedTime() async throws {
        let device = try catalogDevice("llama-3.1-70b")
        let loop = ReplicaStepLoop(
            driver: StepDriver(scheduler: try loopScheduler(), device: device),
            executor: SimulatedStepExecutor(costModel: device.costModel), pacing: .simulated)
        let recorder = StepLoopRecorder()
        loop.start(name: "paced", observer: recorder)
        defer { loop.stop() }
        for index in 0..<3 {
            let request = SchedulerRequest(
                id: RequestID("p\(index)"), promptTokens: tokens(200, salt: Int32(index)), maxTokens: 6, arrival: .zero)
            #expect(loop.submit(request) == .accepted)
        }
        try await recorder.waitForFinished(3)
        let released = recorder.released
        #expect(recorder.completed.count == 3)
        #expect(released.count >= 6)
        for release in released {
            #expect(release.deviceTime > .zero)
            #expect(release.releasedAt >= release.step.scheduledAt + release.deviceTime)
        }
        let statistics = loop.statistics
        #expect(statistics.deviceTime == released.reduce(.zero) { $0 + $1.deviceTime })
        #expect(statistics.generatedTokens == 18)
    }

    @Test func aCPUSlowerThanTheDeviceIsReportedAsLag() async throws {
        let device = try catalogDevice()
        let executor = SlowExecutor(
            inner: SimulatedStepExecutor(costModel: device.costModel), hostTime: .milliseconds(15),
            deviceTime: .microseconds(100))
        let loop = ReplicaStepLoop(
            driver: StepDriver(scheduler: try loopScheduler(), device: device), executor: executor, pacing: .simulated)
        let recorder = StepLoopRecorder()
        loop.start(name: "lagging", observer: recorder)
        defer { loop.stop() }
        #expect(loop.submit(SchedulerRequest(id: RequestID("slow"), promptTokens: tokens(40, salt: 3), maxTokens: 4, arrival: .zero)) == .accepted)
        try await recorder.waitForFinished(1)
        let statistics = loop.statistics
        #expect(statistics.steps == 4)
        #expect(statistics.laggingSteps == 4)
        // Each step's CPU time (15 ms of sleep) exceeds its 0.1 ms device time.
        #expect(statistics.pacingLag > .microseconds(100) * 4)
    }

    @Test func withoutPacingNothingIsHeldBackOrCountedAsLag() async throws {
        let device = try catalogDevice()
        let executor = SlowExecutor(
            inner: SimulatedStepExecutor(costModel: device.costModel), hostTime: .milliseconds(5), deviceTime: .microseconds(1))
        let loop = ReplicaStepLoop(driver: StepDriver(scheduler: try loopScheduler(), device: device), executor: executor)
        let recorder = StepLoopRecorder()
        loop.start(name: "unpaced", observer: recorder)
        defer { loop.stop() }
        #expect(loop.submit(SchedulerRequest(id: RequestID("u"), promptTokens: tokens(20, salt: 1), maxTokens: 3, arrival: .zero)) == .accepted)
        try await recorder.waitForFinished(1)
        #expect(loop.statistics.laggingSteps == 0)
        #expect(loop.statistics.pacingLag == .zero)
        let execution = try #require(recorder.completed.first?.execution)
        #expect(execution.devices == ["n0/gpu0"])
        #expect(execution.iterations.count == 3)
        #expect(execution.deviceTime == .microseconds(3))
    }
}
