import GatewayCore

extension Scheduler {
    /// Adds `count` tokens of a running sequence to the step, allocating the blocks they
    /// need. When the pool is empty even after eviction, running sequences are preempted,
    /// lowest rank first; if that is the sequence itself it is preempted and not scheduled.
    mutating func scheduleTokens(of id: RequestID, count: Int, plan: inout StepPlan) {
        guard var sequence = self.sequences[id] else { return }
        let blockSize = self.configuration.blockSize
        let needed = (sequence.computedTokens + count + blockSize - 1) / blockSize - sequence.blockTable.count
        var newBlocks: [Int32] = []
        while newBlocks.count < needed {
            if let block = self.blocks.allocate() {
                newBlocks.append(block)
                continue
            }
            guard let victim = self.lowestRankedRunning() else { break }
            if victim == id {
                // Never the only runner: admission refuses requests larger than the pool,
                // and a lone runner references every used block, so it cannot get here.
                guard self.running.count > 1 else { break }
                sequence.blockTable += newBlocks
                self.sequences[id] = sequence
                self.preempt(id, plan: &plan)
                return
            }
            self.preempt(victim, plan: &plan)
        }
        guard newBlocks.count == needed else {
            for block in newBlocks { self.blocks.release(block) }
            return
        }
        sequence.blockTable += newBlocks
        self.sequences[id] = sequence
        plan.items.append(StepPlan.Item(id: id, start: sequence.computedTokens, count: count, newBlocks: newBlocks))
        plan.budget -= count
    }

    /// The running sequence preempted first: lowest priority, then most recently accepted.
    func lowestRankedRunning() -> RequestID? {
        self.running.min { self.rank($1, before: $0) }
    }

    /// Preemption by recompute: the sequence's blocks go back to the pool (its full blocks
    /// stay in the prefix cache until evicted), its generated tokens are kept, and it waits
    /// at the head of its priority to prefill prompt plus generated tokens again.
    mutating func preempt(_ id: RequestID, plan: inout StepPlan) {
        guard var sequence = self.sequences[id], sequence.isRunning else { return }
        self.blocks.release(table: sequence.blockTable)
        sequence.blockTable = []
        sequence.computedTokens = 0
        sequence.registeredBlocks = 0
        sequence.isRunning = false
        self.sequences[id] = sequence
        self.running.removeAll { $0 == id }
        let priority = sequence.request.priority.rawValue
        self.waiting[priority].insert(id, at: 0)
        self.queuedTokens[priority] += sequence.request.demand
        plan.remove(id)
        plan.preempted.append(id)
        self.counters.preemptions += 1
    }
}
