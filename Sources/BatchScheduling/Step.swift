import GatewayCore

/// One iteration decided by `Scheduler.schedule(now:)`: what the executor runs, and the
/// bookkeeping already done for it (blocks allocated, sequences preempted or cancelled).
///
/// Shared prefix blocks are always full and never written again: a sequence writes only
/// into blocks it allocated itself, so a step never needs a copy-on-write.
public struct Step: Sendable, Equatable {
    /// Matches the `StepResult` the driver reports for it.
    public var id: UInt64
    /// When it was scheduled; with `StepResult.completedAt` it measures the drain rate.
    public var scheduledAt: Duration
    /// Decode entries first (one token each), then prompt chunks, in the order to run them.
    public var entries: [ScheduledSequence]
    /// Sequences preempted by recompute this step: their blocks are back in the pool and
    /// they wait at the head of their priority with their generated tokens kept.
    public var preempted: [RequestID]
    /// Sequences removed this step because `cancel` was called; their blocks are free.
    public var cancelled: [RequestID]

    /// Tokens the step runs, never more than `maxNumBatchedTokens`.
    public var tokenCount: Int { self.entries.reduce(0) { $0 + $1.tokens.count } }
    public var isEmpty: Bool { self.entries.isEmpty }
}

/// One sequence's share of a step; maps one to one onto `LlamaBatchEntry`.
public struct ScheduledSequence: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The token sampled last step, fed back to get the next one.
        case decode
        /// A chunk of the prompt (after a preemption: of prompt plus generated tokens).
        case prefill
    }

    public var id: RequestID
    public var kind: Kind
    /// The tokens to run now, at positions `startPosition..<startPosition + tokens.count`.
    public var tokens: [Int32]
    /// Positions `0..<startPosition` are in the cache already (earlier steps or the prefix
    /// cache wrote them).
    public var startPosition: Int
    /// The sequence's blocks after this step's allocations: position p is in slot
    /// `p % blockSize` of `blockTable[p / blockSize]`.
    public var blockTable: [Int32]
    /// Blocks allocated to the sequence in this step.
    public var newBlocks: [Int32]
    /// Whether the step must sample a token after the last one (the chunk ends the prompt,
    /// or the entry is a decode).
    public var needsLogits: Bool
}

/// What the driver reports after running a step.
public struct StepResult: Sendable, Equatable {
    public var stepID: UInt64
    /// When the step's forward pass ended, on the same clock as `schedule(now:)`.
    public var completedAt: Duration
    /// One output per entry that needed logits; entries without logits may report
    /// `.stopped` or `.failed` too.
    public var outputs: [RequestID: SequenceOutput]

    public init(stepID: UInt64, completedAt: Duration, outputs: [RequestID: SequenceOutput]) {
        self.stepID = stepID
        self.completedAt = completedAt
        self.outputs = outputs
    }

    /// The whole step failed (the forward pass threw): every sequence in it fails.
    public static func failed(_ step: Step, completedAt: Duration, message: String) -> StepResult {
        var outputs: [RequestID: SequenceOutput] = [:]
        for entry in step.entries { outputs[entry.id] = .failed(message) }
        return StepResult(stepID: step.id, completedAt: completedAt, outputs: outputs)
    }
}

/// What happened to one sequence in a step.
public enum SequenceOutput: Sendable, Equatable {
    /// The sampled token; the sequence goes on (or finishes `.length` at max tokens).
    case token(Int32)
    /// The sequence stopped (end-of-sequence token, stop sequence); the token, if given,
    /// is appended to its output first.
    case stopped(Int32?)
    /// The sequence failed (a sampling or executor error).
    case failed(String)
}

/// A sequence that left the scheduler in `update(with:)`; its blocks are already free.
public struct FinishedSequence: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case length
        case stopped
        case failed(String)
    }

    public var id: RequestID
    public var reason: Reason
    public var generated: [Int32]
}
