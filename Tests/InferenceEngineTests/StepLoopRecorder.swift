import BatchScheduling
import Foundation
import GatewayCore
import InferenceEngine

/// Records what a threaded step loop did: every released step with the loop's clock at its
/// release, and the sequences that finished.
final class StepLoopRecorder: StepLoopObserver, @unchecked Sendable {
    // @unchecked Sendable: every property is read and written under `lock`.
    struct Release {
        var step: Step
        var releasedAt: Duration
        var deviceTime: Duration
    }

    private let lock = NSLock()
    private var releases: [Release] = []
    private var finished: [CompletedSequence] = []

    func stepLoop(_ loop: ReplicaStepLoop, didCancel ids: [RequestID]) {}

    func stepLoop(_ loop: ReplicaStepLoop, didRelease step: Step, executed: ExecutedStep) {
        let now = loop.now
        self.lock.withLock { self.releases.append(Release(step: step, releasedAt: now, deviceTime: executed.deviceTime)) }
    }

    func stepLoop(_ loop: ReplicaStepLoop, didFinish sequences: [CompletedSequence]) {
        self.lock.withLock { self.finished += sequences }
    }

    var released: [Release] { self.lock.withLock { self.releases } }
    var completed: [CompletedSequence] { self.lock.withLock { self.finished } }

    /// Polls (bounded: 30 s) until `count` sequences have finished.
    func waitForFinished(_ count: Int) async throws {
        for _ in 0..<3000 where self.completed.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
