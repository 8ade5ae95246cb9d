import GatewayCore

extension Scheduler {
    /// Accepts a request into the waiting queue, or refuses it at once: 400 when it is
    /// unusable or larger than the whole KV pool, 429 when the queue bound would be
    /// exceeded or it cannot be expected to start before its deadline at the measured
    /// drain rate (`expectedWait(for:)`). The request's `arrival` is the current time.
    public mutating func add(_ request: SchedulerRequest) -> AdmissionDecision {
        if request.promptTokens.isEmpty { return .rejected(.invalid("the prompt has no tokens")) }
        if request.maxTokens < 1 { return .rejected(.invalid("max_tokens must be at least 1")) }
        if self.sequences[request.id] != nil {
            return .rejected(.invalid("request id \(request.id) is already scheduled"))
        }
        let blockSize = self.configuration.blockSize
        let poolTokens = self.configuration.totalBlocks * blockSize
        if request.demand > poolTokens {
            return .rejected(.tooLarge(neededTokens: request.demand, poolTokens: poolTokens))
        }
        let queued = self.queuedTokens.reduce(0, +)
        if queued + request.demand > self.configuration.maxQueuedTokens {
            let excess = queued + request.demand - self.configuration.maxQueuedTokens
            return .rejected(
                .overloaded(
                    retryAfter: self.drainTime(tokens: excess),
                    reason: "the queue holds \(queued) tokens of demand and its bound is \(self.configuration.maxQueuedTokens)"))
        }
        let deadline = request.deadline ?? request.arrival + (request.timeout ?? self.configuration.defaultDeadline)
        let expectedStart = request.arrival + self.expectedWait(for: request)
        if expectedStart > deadline {
            return .rejected(
                .overloaded(
                    retryAfter: max(expectedStart - deadline, .milliseconds(1)),
                    reason: "the request cannot be expected to start before its deadline"))
        }
        let priority = request.priority.rawValue
        self.sequences[request.id] = SequenceState(request: request, admissionNumber: self.nextAdmissionNumber)
        self.nextAdmissionNumber += 1
        self.waiting[priority].append(request.id)
        self.queuedTokens[priority] += request.demand
        return .accepted
    }

    /// How long a new request can expect to wait to start. While the requests ahead of it
    /// (and it) fit the free slots and blocks, it starts once their prompts are prefilled;
    /// otherwise it waits for the whole demand ahead to drain, as sequences must leave first.
    func expectedWait(for request: SchedulerRequest) -> Duration {
        let ahead = Priority.allCases.filter { $0 >= request.priority }.flatMap { self.waiting[$0.rawValue] }
        let promptTokens = ahead.reduce(request.promptTokens.count) { $0 + (self.sequences[$1]?.tokens.count ?? 0) }
        let freeSlots = self.configuration.maxNumSeqs - self.running.count
        if ahead.count < freeSlots, promptTokens <= self.blocks.freeCount * self.configuration.blockSize {
            return self.drainTime(tokens: promptTokens - request.promptTokens.count)
        }
        return self.drainTime(tokens: self.workAhead(of: request.priority))
    }

    /// Waiting demand that starts before a new request of this priority, in tokens.
    func workAhead(of priority: Priority) -> Int {
        Priority.allCases.filter { $0 >= priority }.reduce(0) { $0 + self.queuedTokens[$1.rawValue] }
    }

    /// How long the replica takes to work through this many tokens at its drain rate,
    /// capped at a day so that a pathological measurement cannot overflow a `Duration`.
    func drainTime(tokens: Int) -> Duration {
        .seconds(min(Double(tokens) / self.drainRate, 86_400))
    }

    /// Folds one finished step into the smoothed drain rate (tokens per second). A step run
    /// while requests waited measures capacity; one run without a backlog only shows what
    /// was asked of the replica (a lone sequence decodes one token a step), so it may raise
    /// the estimate but never lower it — else an idle replica would refuse the first burst.
    mutating func measureDrainRate(tokens: Int, elapsed: Duration, backlogged: Bool) {
        let seconds = elapsed.secondsValue
        guard tokens > 0, seconds > 0 else { return }
        let sample = Double(tokens) / seconds
        guard sample.isFinite, sample > 0 else { return }
        guard backlogged || sample > self.drainRate else { return }
        if self.hasMeasuredDrainRate {
            let weight = self.configuration.drainRateSmoothing
            self.drainRate = weight * sample + (1 - weight) * self.drainRate
        } else {
            self.drainRate = sample
            self.hasMeasuredDrainRate = true
        }
    }

    /// Moves waiting sequences into the step in priority order while there are slots,
    /// budget and blocks; the first that does not fit stops admission, so that no
    /// lower-priority or later request overtakes it.
    mutating func admitWaiting(plan: inout StepPlan) {
        let blockSize = self.configuration.blockSize
        for priority in Priority.allCases.reversed() {
            while let id = self.waiting[priority.rawValue].first {
                guard self.running.count < self.configuration.maxNumSeqs, plan.budget > 0 else { return }
                guard var sequence = self.sequences[id] else {
                    self.waiting[priority.rawValue].removeFirst()
                    continue
                }
                let (hits, eligible) = self.cachedPrefix(of: &sequence)
                let cachedTokens = hits.count * blockSize
                let count = min(sequence.tokens.count - cachedTokens, self.configuration.prefillChunkSize, plan.budget)
                let needed = (cachedTokens + count + blockSize - 1) / blockSize - hits.count
                let evictableHits = hits.filter { self.blocks.isEvictable($0) }.count
                guard self.blocks.freeCount - evictableHits >= needed else { return }
                for block in hits { self.blocks.retain(block) }
                var newBlocks: [Int32] = []
                for _ in 0..<needed {
                    // Cannot fail: the free count was checked above.
                    if let block = self.blocks.allocate() { newBlocks.append(block) }
                }
                self.counters.prefixCacheQueries += eligible
                self.counters.prefixCacheHits += hits.count
                sequence.blockTable = hits + newBlocks
                sequence.computedTokens = cachedTokens
                sequence.registeredBlocks = hits.count
                sequence.isRunning = true
                self.sequences[id] = sequence
                self.waiting[priority.rawValue].removeFirst()
                self.queuedTokens[priority.rawValue] -= sequence.request.demand
                self.running.append(id)
                plan.items.append(StepPlan.Item(id: id, start: cachedTokens, count: count, newBlocks: newBlocks))
                plan.budget -= count
            }
        }
    }

    /// The longest chain of cached blocks that starts the sequence's tokens, never
    /// including the block of its last token (whose logits must be computed), and how many
    /// blocks were eligible for the lookup.
    func cachedPrefix(of sequence: inout SequenceState) -> (hits: [Int32], eligible: Int) {
        guard self.configuration.enablePrefixCaching else { return ([], 0) }
        let blockSize = self.configuration.blockSize
        sequence.extendHashes(blockSize: blockSize)
        let eligible = min((sequence.tokens.count - 1) / blockSize, sequence.blockHashes.count)
        var hits: [Int32] = []
        for index in 0..<eligible {
            let parent = index > 0 ? sequence.blockHashes[index - 1] : nil
            guard
                let block = self.blocks.cachedBlock(
                    sequence.blockHashes[index], parent: parent,
                    tokens: sequence.blockTokens(index, blockSize: blockSize))
            else { break }
            hits.append(block)
        }
        return (hits, eligible)
    }
}
