import BatchScheduling
import DeviceSimulation
import GatewayCore

/// The one piece that drives a replica's scheduler, shared by the threaded replica (wall
/// clock, `ReplicaStepLoop`) and by `switchyard simulate` (virtual clock): submit and cancel,
/// take the next step, hand the executor's results back, and keep each request's execution
/// record (its device and the simulated time of every iteration it took part in).
///
/// It owns no clock and no thread: the caller passes `now`, so the threaded loop can take the
/// step under its lock and run the executor outside it.
public struct StepDriver: Sendable {
    public private(set) var scheduler: Scheduler
    public let device: ReplicaDevice?
    /// Whether each request's iterations are recorded (a simulation of thousands of requests
    /// has no use for them and skips the bookkeeping).
    public let recordsExecutions: Bool
    /// Execution records of the requests the scheduler holds.
    private var records: [RequestID: ExecutionSummary] = [:]
    /// Tokens generated since start.
    public private(set) var generatedTokens = 0
    /// Simulated device time of every step run since start.
    public private(set) var deviceTime: Duration = .zero
    /// Time the CPU released steps later than the simulated device would have (pacing only).
    public private(set) var pacingLag: Duration = .zero
    /// Steps whose release the CPU delayed past the simulated device's finish.
    public private(set) var laggingSteps = 0

    /// Tokens per KV block of every replica (`PagedKVCache.tokensPerBlock`).
    public static let blockSize = 16

    public init(scheduler: Scheduler, device: ReplicaDevice? = nil, recordsExecutions: Bool = true) {
        self.scheduler = scheduler
        self.device = device
        self.recordsExecutions = recordsExecutions
    }

    public var hasWork: Bool { self.scheduler.hasWork }

    /// What the scheduler's prefix cache holds now (a snapshot; routers match prompts on it).
    public var prefixCacheView: PrefixCacheView { self.scheduler.blocks.prefixCacheView }

    /// Offers a request to the scheduler (its `arrival` is the current time).
    public mutating func submit(_ request: SchedulerRequest) -> AdmissionDecision {
        let decision = self.scheduler.add(request)
        if decision == .accepted && self.recordsExecutions {
            self.records[request.id] = self.device?.emptySummary ?? ExecutionSummary(deviceModel: "", devices: [])
        }
        return decision
    }

    /// Marks a request for removal at the next step; false for an id the scheduler lacks.
    @discardableResult
    public mutating func cancel(_ id: RequestID) -> Bool {
        self.scheduler.cancel(id)
    }

    /// The next iteration to run (empty when nothing fits or a step is in flight).
    public mutating func nextStep(now: Duration) -> Step {
        let step = self.scheduler.schedule(now: now)
        if self.recordsExecutions {
            for id in step.cancelled { self.records[id] = nil }
        }
        return step
    }

    /// Reports the executed step back: tokens enter the scheduler, every entry's record gets
    /// the iteration, and the sequences that finished leave with their records.
    public mutating func complete(_ step: Step, with executed: ExecutedStep, at completedAt: Duration) -> [CompletedSequence] {
        self.deviceTime += executed.deviceTime
        if self.recordsExecutions {
            for entry in step.entries {
                self.records[entry.id]?.iterations.append(
                    ExecutionSummary.Iteration(step: step.id, tokens: entry.tokens.count, deviceTime: executed.deviceTime))
            }
        }
        for output in executed.outputs.values {
            switch output {
            case .token, .stopped(.some): self.generatedTokens += 1
            case .stopped(nil), .failed: break
            }
        }
        let finished = self.scheduler.update(
            with: StepResult(stepID: step.id, completedAt: completedAt, outputs: executed.outputs))
        return finished.map { sequence in
            let record = self.records.removeValue(forKey: sequence.id) ?? ExecutionSummary(deviceModel: "", devices: [])
            return CompletedSequence(sequence: sequence, execution: record)
        }
    }

    /// Notes that a paced step was released `lag` after the simulated device would have.
    public mutating func recordLag(_ lag: Duration) {
        guard lag > .zero else { return }
        self.pacingLag += lag
        self.laggingSteps += 1
    }

    /// The record so far of a request the scheduler holds.
    public func execution(of id: RequestID) -> ExecutionSummary? { self.records[id] }
}

/// A sequence that left the scheduler, with where and how long it ran.
public struct CompletedSequence: Sendable, Equatable {
    public var sequence: FinishedSequence
    public var execution: ExecutionSummary
}
