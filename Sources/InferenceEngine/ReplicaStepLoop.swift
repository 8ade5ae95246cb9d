import BatchScheduling
import Foundation
import GatewayCore
import Synchronization

/// How a threaded replica releases each step's tokens.
public enum ReplicaPacing: String, Sendable, CaseIterable {
    /// As soon as the CPU has them.
    case none
    /// No earlier than the step's scheduling time plus its simulated device time, so that a
    /// fast CPU behaves like the pinned device; a slower CPU is reported as lag.
    case simulated
}

/// What the owner of a threaded loop does with its steps, called on the loop's thread with
/// no lock held, in this order for each step.
public protocol StepLoopObserver: AnyObject {
    /// These sequences were cancelled and left the scheduler (their blocks are free).
    func stepLoop(_ loop: ReplicaStepLoop, didCancel ids: [RequestID])
    /// The step's outputs may be shown now (after pacing held them back).
    func stepLoop(_ loop: ReplicaStepLoop, didRelease step: Step, executed: ExecutedStep)
    /// These sequences finished and left the scheduler.
    func stepLoop(_ loop: ReplicaStepLoop, didFinish sequences: [CompletedSequence])
}

/// A replica's iteration loop on a thread of its own, on the wall clock: it sleeps until the
/// scheduler has work, takes the next step from the shared `StepDriver` under its lock, runs
/// the executor outside the lock, paces the release, and reports back under the lock.
/// `switchyard simulate` drives the same `StepDriver` on a virtual clock instead.
public final class ReplicaStepLoop: @unchecked Sendable {
    // @unchecked Sendable: `driver` and `stopping` are only touched under `condition`;
    // `executor` and `observer` are set before the thread starts and then used only on it.
    private let condition = NSCondition()
    private var driver: StepDriver
    private var stopping = false
    private let executor: any StepExecutor
    public let pacing: ReplicaPacing
    private weak var observer: (any StepLoopObserver)?
    private let origin = ContinuousClock.now
    /// The prefix cache as of the last step, for routers: replaced once per step, so a
    /// router reads it without the loop's lock and the loop takes no lock per token for it.
    private let publishedPrefixCache = Mutex(PrefixCacheView.empty)

    public init(driver: StepDriver, executor: any StepExecutor, pacing: ReplicaPacing = .none) {
        self.driver = driver
        self.executor = executor
        self.pacing = pacing
    }

    /// Starts the loop's thread; `observer` is held weakly.
    public func start(name: String, observer: (any StepLoopObserver)?) {
        self.observer = observer
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.start()
    }

    /// Ends the thread once the step in flight (if any) is reported back.
    public func stop() {
        self.condition.withLock {
            self.stopping = true
            self.condition.signal()
        }
    }

    /// The loop's clock: time since it was created.
    public var now: Duration { ContinuousClock.now - self.origin }

    /// Offers a request to the scheduler; its arrival is now.
    public func submit(_ request: SchedulerRequest) -> AdmissionDecision {
        var request = request
        return self.condition.withLock {
            request.arrival = self.now
            let decision = self.driver.submit(request)
            if decision == .accepted { self.condition.signal() }
            return decision
        }
    }

    /// Cancels a request; it leaves the scheduler at the next step.
    public func cancel(_ id: RequestID) {
        self.condition.withLock {
            if self.driver.cancel(id) { self.condition.signal() }
        }
    }

    /// Reads the driver under the lock.
    public func withDriver<T>(_ body: (StepDriver) throws -> T) rethrows -> T {
        try self.condition.withLock { try body(self.driver) }
    }

    public var statistics: ReplicaStatistics {
        self.withDriver { ReplicaStatistics($0) }
    }

    /// What the replica's prefix cache held after its last step.
    public var prefixCache: PrefixCacheView {
        self.publishedPrefixCache.withLock { $0 }
    }

    private func run() {
        while let step = self.nextStep() {
            if !step.cancelled.isEmpty { self.observer?.stepLoop(self, didCancel: step.cancelled) }
            guard !step.isEmpty else { continue }
            let executed = self.executor.execute(step)
            let lag = self.pace(step, executed)
            self.observer?.stepLoop(self, didRelease: step, executed: executed)
            let (finished, prefixCache) = self.condition.withLock {
                self.driver.recordLag(lag)
                return (self.driver.complete(step, with: executed, at: self.now), self.driver.prefixCacheView)
            }
            self.publishedPrefixCache.withLock { $0 = prefixCache }
            if !finished.isEmpty { self.observer?.stepLoop(self, didFinish: finished) }
        }
    }

    /// Sleeps until the scheduler has work, then takes its next step; nil once stopped.
    private func nextStep() -> Step? {
        self.condition.lock()
        defer { self.condition.unlock() }
        while !self.stopping && !self.driver.hasWork {
            self.condition.wait()
        }
        if self.stopping { return nil }
        let step = self.driver.nextStep(now: self.now)
        if step.isEmpty && step.cancelled.isEmpty && self.driver.hasWork {
            // Nothing fits this instant (every waiting request is blocked); look again
            // shortly or as soon as a submit or cancel signals.
            _ = self.condition.wait(until: Date(timeIntervalSinceNow: 0.005))
        }
        return step
    }

    /// With simulated pacing, holds the step back until the simulated device would have
    /// finished it; returns how much later than that the CPU finished (zero if earlier).
    private func pace(_ step: Step, _ executed: ExecutedStep) -> Duration {
        guard self.pacing == .simulated, executed.deviceTime > .zero else { return .zero }
        let due = step.scheduledAt + executed.deviceTime
        let finished = self.now
        if finished >= due { return finished - due }
        var remaining = due - self.now
        while remaining > .zero {
            Thread.sleep(forTimeInterval: remaining.secondsValue)
            remaining = due - self.now
        }
        return .zero
    }
}
