import GatewayCore

extension Scheduler {
    /// Applies what the executor reported for the step in flight: computed tokens enter the
    /// cache (full blocks become reusable), sampled tokens are appended, and sequences that
    /// finished, stopped or failed leave at once with their blocks freed. A result for any
    /// other step is ignored and returns nothing.
    public mutating func update(with result: StepResult) -> [FinishedSequence] {
        guard let step = self.inFlight, step.id == result.stepID else { return [] }
        self.inFlight = nil
        self.measureDrainRate(
            tokens: step.tokenCount, elapsed: result.completedAt - step.scheduledAt, backlogged: self.inFlightWasBacklogged)
        var finished: [FinishedSequence] = []
        for entry in step.entries {
            // Taken out of the dictionary while it changes: a copy left there would share the
            // token array's storage, and appending the token would copy the whole context.
            guard var sequence = self.sequences.removeValue(forKey: entry.id) else { continue }
            guard sequence.isRunning else {
                self.sequences[entry.id] = sequence
                continue
            }
            sequence.computedTokens = entry.startPosition + entry.tokens.count
            self.registerComputedBlocks(of: &sequence)
            var reason: FinishedSequence.Reason?
            switch result.outputs[entry.id] {
            case .failed(let message):
                reason = .failed(message)
            case .stopped(let token):
                if let token { sequence.tokens.append(token) }
                reason = .stopped
            case .token(let token) where entry.needsLogits:
                sequence.tokens.append(token)
                if sequence.generatedCount >= sequence.request.maxTokens { reason = .length }
            case nil where entry.needsLogits:
                reason = .failed("the step reported no token for a sequence that needed one")
            case .token, nil:
                break
            }
            self.sequences[entry.id] = sequence
            if let reason {
                finished.append(FinishedSequence(id: entry.id, reason: reason, generated: Array(sequence.generated)))
                self.remove(entry.id)
            }
        }
        return finished
    }

    /// Marks a sequence for removal at the next `schedule`, which frees its blocks and lists
    /// it in `Step.cancelled`. Returns false for an id the scheduler does not hold.
    @discardableResult
    public mutating func cancel(_ id: RequestID) -> Bool {
        guard self.sequences[id] != nil else { return false }
        self.pendingCancels.insert(id)
        return true
    }

    /// Removes the sequences cancelled since the last step; returns their ids.
    mutating func applyCancellations() -> [RequestID] {
        guard !self.pendingCancels.isEmpty else { return [] }
        let cancelled = self.pendingCancels.filter { self.sequences[$0] != nil }
            .sorted { self.rank($0, before: $1) }
        self.pendingCancels.removeAll()
        for id in cancelled { self.remove(id) }
        return cancelled
    }

    /// Takes a sequence out of every queue and returns its blocks.
    mutating func remove(_ id: RequestID) {
        guard let sequence = self.sequences.removeValue(forKey: id) else { return }
        self.blocks.release(table: sequence.blockTable)
        self.running.removeAll { $0 == id }
        let priority = sequence.request.priority.rawValue
        if let index = self.waiting[priority].firstIndex(of: id) {
            self.waiting[priority].remove(at: index)
            self.queuedTokens[priority] -= sequence.request.demand
        }
    }

    /// Offers the sequence's newly computed full blocks to the prefix cache.
    private mutating func registerComputedBlocks(of sequence: inout SequenceState) {
        guard self.configuration.enablePrefixCaching else { return }
        let blockSize = self.configuration.blockSize
        sequence.extendHashes(blockSize: blockSize)
        let full = min(sequence.computedTokens / blockSize, sequence.blockHashes.count, sequence.blockTable.count)
        while sequence.registeredBlocks < full {
            let index = sequence.registeredBlocks
            self.blocks.register(
                sequence.blockTable[index], hash: sequence.blockHashes[index],
                parent: index > 0 ? sequence.blockHashes[index - 1] : nil,
                tokens: sequence.blockTokens(index, blockSize: blockSize))
            sequence.registeredBlocks += 1
        }
    }
}
