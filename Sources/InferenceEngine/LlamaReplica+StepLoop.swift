import BatchScheduling
import DecodeKernels
import Foundation
import GatewayCore
import ModelRuntime

extension LlamaReplica {
    /// The replica's iteration loop: asks the scheduler for a step under the replica's lock,
    /// runs the forward pass and sampling outside it, and reports back under the lock.
    final class StepLoop: @unchecked Sendable {
        // @unchecked Sendable: handed to its thread once at start and used only there.
        let replica: LlamaReplica

        init(replica: LlamaReplica) {
            self.replica = replica
        }

        func run() {
            while true {
                let (step, sequences) = self.nextStep()
                guard !step.isEmpty else { continue }
                let started = ContinuousClock.now
                let outputs = self.run(step, sequences: sequences)
                self.recordTimelines(of: step, outputs: outputs, sequences: sequences, started: started)
                self.report(outputs, sequences: sequences)
            }
        }

        /// Sleeps until the scheduler has work, then takes its next step, the sequences it
        /// runs, and ends the streams of the sequences it cancelled.
        private func nextStep() -> (Step, [RequestID: ReplicaSequence]) {
            let condition = self.replica.condition
            condition.lock()
            while !self.replica.inbox.scheduler.hasWork {
                condition.wait()
            }
            let step = self.replica.inbox.scheduler.schedule(now: self.replica.inbox.now)
            var cancelled: [ReplicaSequence] = []
            for id in step.cancelled {
                if let sequence = self.replica.inbox.sequences.removeValue(forKey: id) { cancelled.append(sequence) }
            }
            var sequences: [RequestID: ReplicaSequence] = [:]
            for entry in step.entries {
                sequences[entry.id] = self.replica.inbox.sequences[entry.id]
            }
            if step.isEmpty && self.replica.inbox.scheduler.hasWork {
                // Nothing fits this instant (every waiting request is blocked); look again
                // shortly or as soon as a submit or cancel signals.
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.005))
            }
            condition.unlock()
            // Outside the lock: finishing a stream may run its termination handler.
            for sequence in cancelled { sequence.continuation.finish() }
            return (step, sequences)
        }

        /// Runs the forward pass and samples a token for every entry that needs one.
        private func run(_ step: Step, sequences: [RequestID: ReplicaSequence]) -> StepResult {
            let entries = step.entries.map {
                LlamaBatchEntry(
                    tokens: $0.tokens, startPosition: $0.startPosition, blockTable: $0.blockTable,
                    needsLogits: $0.needsLogits)
            }
            let logits: [[Float]]
            do {
                logits = try self.replica.context.forward(entries, cache: self.replica.cache)
            } catch {
                return .failed(step, completedAt: self.replica.condition.withLock { self.replica.inbox.now },
                    message: "forward pass failed: \(error)")
            }
            var outputs: [RequestID: SequenceOutput] = [:]
            for (index, entry) in step.entries.enumerated() where entry.needsLogits {
                guard let sequence = sequences[entry.id], index < logits.count else {
                    outputs[entry.id] = .failed("the replica lost the sequence's state")
                    continue
                }
                outputs[entry.id] = self.emitNextToken(of: sequence, logits: logits[index])
            }
            let completedAt = self.replica.condition.withLock { self.replica.inbox.now }
            return StepResult(stepID: step.id, completedAt: completedAt, outputs: outputs)
        }

        /// Hands the step's outputs to the scheduler and ends the streams of the sequences
        /// that finished.
        private func report(_ result: StepResult, sequences: [RequestID: ReplicaSequence]) {
            let generated = result.outputs.values.reduce(0) { count, output in
                switch output {
                case .token: count + 1
                case .stopped(let token): count + (token == nil ? 0 : 1)
                case .failed: count
                }
            }
            let finished = self.replica.condition.withLock {
                self.replica.inbox.generatedTokens += generated
                let finished = self.replica.inbox.scheduler.update(with: result)
                for sequence in finished { self.replica.inbox.sequences[sequence.id] = nil }
                return finished
            }
            for sequence in finished {
                guard let state = sequences[sequence.id] else { continue }
                switch sequence.reason {
                case .length:
                    state.continuation.yield(.finished(.length, state.usage))
                    state.continuation.finish()
                case .stopped:
                    state.continuation.yield(.finished(.stop, state.usage))
                    state.continuation.finish()
                case .failed(let message):
                    state.continuation.finish(throwing: GenerationError(.internalFailure, message))
                }
            }
        }

        /// Samples the sequence's next token and streams its text; says whether it stopped.
        /// The scheduler ends it with `.length` once it has `maxTokens` tokens, so the text
        /// is flushed here at that point.
        private func emitNextToken(of sequence: ReplicaSequence, logits: [Float]) -> SequenceOutput {
            let sampled = sequence.sampler.sample(logits: logits)
            if sampled.isStop {
                let rest = sequence.stopMatcher.flush() + sequence.detokenizer.finish()
                if !rest.isEmpty {
                    sequence.continuation.yield(.token(GeneratedToken(id: sampled.id, text: rest)))
                }
                return .stopped(nil)
            }
            sequence.generated.append(sampled.id)
            var (text, stopped) = sequence.stopMatcher.append(sequence.detokenizer.append(sampled.id))
            let atLimit = sequence.generated.count >= sequence.maxTokens
            if atLimit && !stopped {
                text += sequence.stopMatcher.append(sequence.detokenizer.finish()).emit + sequence.stopMatcher.flush()
            }
            sequence.continuation.yield(.token(self.generatedToken(sampled, text: text, wantsLogprobs: sequence.wantsLogprobs)))
            return stopped ? .stopped(sampled.id) : .token(sampled.id)
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
    }
}
