import DecodeKernels
import Foundation
import GatewayCore
import ModelRuntime

extension LlamaReplica {
    /// The replica's iteration loop. Only its own thread touches it, so it needs no locks;
    /// it meets the outside world through the replica's `inbox`.
    final class StepLoop: @unchecked Sendable {
        // @unchecked Sendable: handed to its thread once at start and used only there.
        let replica: LlamaReplica
        var blockPool: KVBlockPool
        /// Admitted in arrival order, not yet running (waiting for KV blocks or a slot).
        var waiting: [ReplicaSequence] = []
        var running: [ReplicaSequence] = []
        /// Blocks promised to running sequences and not yet allocated to them.
        var reservedBlocks = 0

        init(replica: LlamaReplica, blockCount: Int) throws {
            self.replica = replica
            do {
                self.blockPool = try KVBlockPool(blockCount: blockCount)
            } catch {
                throw ModelRuntimeError("KV cache", "\(error)")
            }
        }

        /// Counters the loop keeps for `statistics`.
        var steps = 0
        var generatedTokens = 0

        func run() {
            while true {
                self.takeInbox()
                self.admit()
                if !self.running.isEmpty {
                    self.step()
                }
                self.publishStatistics()
            }
        }

        private func publishStatistics() {
            var statistics = ReplicaStatistics()
            statistics.running = self.running.count
            statistics.waiting = self.waiting.count
            statistics.usedBlocks = self.blockPool.usedCount
            statistics.totalBlocks = self.blockPool.blockCount
            statistics.steps = self.steps
            statistics.generatedTokens = self.generatedTokens
            self.replica.condition.withLock { self.replica.inbox.statistics = statistics }
        }

        /// Moves arrivals in and applies cancellations; sleeps while there is nothing to do.
        private func takeInbox() {
            let condition = self.replica.condition
            condition.lock()
            while self.replica.inbox.arrivals.isEmpty && self.replica.inbox.cancelled.isEmpty
                && self.running.isEmpty && self.waiting.isEmpty
            {
                condition.wait()
            }
            let arrivals = self.replica.inbox.arrivals
            let cancelled = self.replica.inbox.cancelled
            self.replica.inbox.arrivals.removeAll(keepingCapacity: true)
            self.replica.inbox.cancelled.removeAll(keepingCapacity: true)
            condition.unlock()

            self.waiting += arrivals
            guard !cancelled.isEmpty else { return }
            self.waiting.removeAll { cancelled.contains($0.id) }
            for sequence in self.running where cancelled.contains(sequence.id) {
                self.release(sequence)
                sequence.continuation.finish()
            }
            self.running.removeAll { cancelled.contains($0.id) }
        }

        /// Starts waiting sequences, oldest first, while a slot and their KV blocks are free.
        private func admit() {
            let configuration = self.replica.configuration
            while let next = self.waiting.first, self.running.count < configuration.maxSequences {
                let needed = Self.blocks(for: next.capacity)
                guard self.blockPool.freeCount - self.reservedBlocks >= needed else { return }
                next.reservedBlocks = needed
                self.reservedBlocks += needed
                self.running.append(self.waiting.removeFirst())
            }
        }

        /// One iteration: a decode token for every sequence past its prompt, then prompt
        /// chunks for the others while the token budget lasts.
        private func step() {
            var budget = self.replica.configuration.maxBatchTokens
            var entries: [LlamaBatchEntry] = []
            var owners: [ReplicaSequence] = []
            for sequence in self.running where sequence.remainingPrompt == 0 && budget > 0 {
                guard let last = sequence.generated.last else { continue }
                entries.append(self.entry(for: sequence, tokens: [last], needsLogits: true))
                owners.append(sequence)
                budget -= 1
            }
            for sequence in self.running where sequence.remainingPrompt > 0 && budget > 0 {
                let count = min(sequence.remainingPrompt, budget)
                let start = sequence.table.tokenCount
                let chunk = Array(sequence.prompt[start..<(start + count)])
                entries.append(self.entry(for: sequence, tokens: chunk, needsLogits: count == sequence.remainingPrompt))
                owners.append(sequence)
                budget -= count
            }
            self.steps += 1
            let logits: [[Float]]
            do {
                logits = try self.replica.context.forward(entries, cache: self.replica.cache)
            } catch {
                for sequence in owners {
                    self.finish(sequence, throwing: GenerationError(.internalFailure, "forward pass failed: \(error)"))
                }
                return
            }
            for (index, sequence) in owners.enumerated() where entries[index].needsLogits {
                self.emitNextToken(of: sequence, logits: logits[index])
            }
            self.running.removeAll { $0.isFinished }
        }

        /// Grows the sequence's block table over the tokens (from its reservation) and
        /// describes them as one batch entry.
        private func entry(for sequence: ReplicaSequence, tokens: [Int32], needsLogits: Bool) -> LlamaBatchEntry {
            let start = sequence.table.tokenCount
            let blocksBefore = sequence.table.blocks.count
            // Cannot fail: admission reserved blocks for the sequence's whole capacity.
            _ = try? self.blockPool.append(tokens: tokens.count, to: &sequence.table)
            let allocated = sequence.table.blocks.count - blocksBefore
            sequence.reservedBlocks -= allocated
            self.reservedBlocks -= allocated
            return LlamaBatchEntry(
                tokens: tokens, startPosition: start, blockTable: sequence.table.blocks, needsLogits: needsLogits)
        }

        private func emitNextToken(of sequence: ReplicaSequence, logits: [Float]) {
            let sampled = sequence.sampler.sample(logits: logits)
            if sampled.isStop {
                let rest = sequence.stopMatcher.flush() + sequence.detokenizer.finish()
                if !rest.isEmpty {
                    sequence.continuation.yield(.token(GeneratedToken(id: sampled.id, text: rest)))
                }
                self.finish(sequence, reason: .stop)
                return
            }
            sequence.generated.append(sampled.id)
            self.generatedTokens += 1
            var (text, stopped) = sequence.stopMatcher.append(sequence.detokenizer.append(sampled.id))
            let atLimit = sequence.generated.count >= sequence.maxTokens
            if atLimit && !stopped {
                text += sequence.stopMatcher.append(sequence.detokenizer.finish()).emit + sequence.stopMatcher.flush()
            }
            sequence.continuation.yield(.token(self.generatedToken(sampled, text: text, wantsLogprobs: sequence.wantsLogprobs)))
            if stopped {
                self.finish(sequence, reason: .stop)
            } else if atLimit {
                self.finish(sequence, reason: .length)
            }
        }

        private func generatedToken(_ sampled: SampledToken, text: String, wantsLogprobs: Bool) -> GeneratedToken {
            guard wantsLogprobs, let logprob = sampled.logprob else {
                return GeneratedToken(id: sampled.id, text: text)
            }
            let tokenizer = self.replica.tokenizer
            func describe(_ id: Int32, _ logprob: Float) -> GatewayCore.TokenLogprob {
                GatewayCore.TokenLogprob(
                    token: tokenizer.text(forToken: id), logprob: logprob, bytes: tokenizer.bytes(forToken: id))
            }
            return GeneratedToken(
                id: sampled.id, text: text, logprob: describe(sampled.id, logprob),
                topLogprobs: sampled.topLogprobs.map { describe($0.id, $0.logprob) })
        }

        private func finish(_ sequence: ReplicaSequence, reason: FinishReason) {
            self.release(sequence)
            sequence.continuation.yield(.finished(reason, sequence.usage))
            sequence.continuation.finish()
        }

        private func finish(_ sequence: ReplicaSequence, throwing error: GenerationError) {
            self.release(sequence)
            sequence.continuation.finish(throwing: error)
        }

        /// Returns the sequence's blocks and what is left of its reservation to the pool.
        private func release(_ sequence: ReplicaSequence) {
            // Cannot fail: the table only holds blocks this pool allocated to it.
            try? self.blockPool.free(&sequence.table)
            self.reservedBlocks -= sequence.reservedBlocks
            sequence.reservedBlocks = 0
            sequence.isFinished = true
        }

        static func blocks(for tokens: Int) -> Int {
            (tokens + PagedKVCache.tokensPerBlock - 1) / PagedKVCache.tokensPerBlock
        }
    }
}
