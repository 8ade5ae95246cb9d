import GatewayCore

/// Iteration-level scheduling for one replica, as a value: no clock of its own, no I/O, no
/// threads. The driver (the replica's step loop, or a simulated executor on a virtual
/// clock) calls `add` as requests arrive, `cancel` as clients leave, and then repeatedly
/// `schedule(now:)` → runs the step → `update(with:)`.
///
/// Each step runs one decode token for every running sequence first, then fills the rest
/// of the token budget with prompt chunks: running sequences still in their prompt, then
/// waiting ones admitted in priority order (high, normal, low; FIFO within one). KV blocks
/// are allocated on demand; when none is left, the lowest-priority, most recently accepted
/// running sequence is preempted by recompute.
public struct Scheduler: Sendable {
    public let configuration: SchedulerConfiguration
    public internal(set) var blocks: KVBlockManager
    var sequences: [RequestID: SequenceState] = [:]
    /// Waiting ids per priority, indexed by `Priority.rawValue`; head first.
    var waiting: [[RequestID]] = Array(repeating: [], count: Priority.allCases.count)
    /// Waiting demand in tokens per priority, indexed like `waiting`.
    var queuedTokens: [Int] = Array(repeating: 0, count: Priority.allCases.count)
    var running: [RequestID] = []
    var pendingCancels: Set<RequestID> = []
    /// The step handed out and not yet reported back.
    var inFlight: Step?
    /// Whether requests were still waiting when the step in flight was decided: only then
    /// does its throughput show what the replica can drain, not merely what was asked of it.
    var inFlightWasBacklogged = false
    var nextStepID: UInt64 = 1
    var nextAdmissionNumber: UInt64 = 0
    var drainRate: Double
    var hasMeasuredDrainRate = false
    var counters = SchedulerStatistics()

    public init(configuration: SchedulerConfiguration) throws(SchedulerConfigurationError) {
        if let problem = configuration.problem { throw SchedulerConfigurationError(message: problem) }
        self.configuration = configuration
        self.blocks = KVBlockManager(blockCount: configuration.totalBlocks)
        self.drainRate = configuration.initialDrainRate
    }

    /// Whether anything is running or waiting (the driver may sleep when not).
    public var hasWork: Bool { !self.running.isEmpty || self.waiting.contains { !$0.isEmpty } }

    /// The tokens generated so far for a sequence still in the scheduler.
    public func generatedTokens(of id: RequestID) -> [Int32]? {
        self.sequences[id].map { Array($0.generated) }
    }

    /// The sequence's block table, empty while it waits.
    public func blockTable(of id: RequestID) -> [Int32]? { self.sequences[id]?.blockTable }

    public var statistics: SchedulerStatistics {
        var statistics = self.counters
        statistics.running = self.running.count
        statistics.waiting = self.waiting.reduce(0) { $0 + $1.count }
        statistics.totalBlocks = self.blocks.blockCount
        statistics.freeBlocks = self.blocks.freeCount
        statistics.usedBlocks = self.blocks.usedCount
        statistics.cachedBlocks = self.blocks.cachedCount
        statistics.queuedTokens = self.queuedTokens.reduce(0, +)
        statistics.drainRate = self.drainRate
        return statistics
    }

    /// Decides the next iteration. While a step is in flight (scheduled, not yet updated)
    /// it returns an empty step with id 0 and changes nothing.
    public mutating func schedule(now: Duration) -> Step {
        guard self.inFlight == nil else {
            return Step(id: 0, scheduledAt: now, entries: [], preempted: [], cancelled: [])
        }
        var plan = StepPlan(budget: self.configuration.maxNumBatchedTokens)
        plan.cancelled = self.applyCancellations()
        let ranked = self.running.sorted { self.rank($0, before: $1) }
        for id in ranked where plan.budget > 0 {
            guard let sequence = self.sequences[id], sequence.isRunning, sequence.remainingTokens == 1 else { continue }
            self.scheduleTokens(of: id, count: 1, plan: &plan)
        }
        for id in ranked where plan.budget > 0 {
            guard let sequence = self.sequences[id], sequence.isRunning, sequence.remainingTokens > 1,
                !plan.contains(id)
            else { continue }
            let count = min(sequence.remainingTokens, self.configuration.prefillChunkSize, plan.budget)
            self.scheduleTokens(of: id, count: count, plan: &plan)
        }
        // A step that had to preempt admits nobody: the pool is short, and re-admitting a
        // victim in the same step would only churn its blocks.
        if plan.preempted.isEmpty {
            self.admitWaiting(plan: &plan)
        }
        let step = self.materialize(plan, now: now)
        if !step.isEmpty {
            self.inFlight = step
            self.inFlightWasBacklogged = self.waiting.contains { !$0.isEmpty }
            self.nextStepID += 1
            self.counters.steps += 1
        }
        return step
    }

    func rank(_ lhs: RequestID, before rhs: RequestID) -> Bool {
        guard let left = self.sequences[lhs], let right = self.sequences[rhs] else { return false }
        return left.outranks(right)
    }

    /// Turns the plan into the step the executor runs, with each table as it is after all
    /// of this step's allocations and preemptions.
    private func materialize(_ plan: StepPlan, now: Duration) -> Step {
        var entries: [ScheduledSequence] = []
        for item in plan.items {
            guard let sequence = self.sequences[item.id] else { continue }
            let end = item.start + item.count
            entries.append(
                ScheduledSequence(
                    id: item.id,
                    kind: item.count == 1 && sequence.generatedCount > 0 ? .decode : .prefill,
                    tokens: Array(sequence.tokens[item.start..<end]),
                    startPosition: item.start,
                    blockTable: sequence.blockTable,
                    newBlocks: item.newBlocks,
                    needsLogits: end == sequence.tokens.count))
        }
        // Decodes first, then prompt chunks; admission order is kept within each.
        let ordered = entries.filter { $0.kind == .decode } + entries.filter { $0.kind == .prefill }
        return Step(
            id: ordered.isEmpty ? 0 : self.nextStepID, scheduledAt: now, entries: ordered,
            preempted: plan.preempted, cancelled: plan.cancelled)
    }
}

/// A step being decided: what runs so far, and the budget left.
struct StepPlan {
    struct Item {
        var id: RequestID
        var start: Int
        var count: Int
        var newBlocks: [Int32]
    }

    var budget: Int
    var items: [Item] = []
    var preempted: [RequestID] = []
    var cancelled: [RequestID] = []

    func contains(_ id: RequestID) -> Bool { self.items.contains { $0.id == id } }

    /// Takes a preempted sequence's tokens out of the step and back into the budget.
    mutating func remove(_ id: RequestID) {
        guard let index = self.items.firstIndex(where: { $0.id == id }) else { return }
        self.budget += self.items[index].count
        self.items.remove(at: index)
    }
}
