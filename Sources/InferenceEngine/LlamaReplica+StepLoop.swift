import BatchScheduling
import Foundation
import GatewayCore
import ModelRuntime

/// Lets the CPU executor, built before the replica has finished initializing, reach the
/// replica's samplers. Set once in `LlamaReplica.init`, read only on the loop's thread.
final class SamplingBridge {
    weak var replica: LlamaReplica?

    func sample(_ entry: ScheduledSequence, _ logits: [Float]) -> SequenceOutput {
        self.replica?.sample(entry, logits: logits) ?? .failed("the replica is gone")
    }
}

extension LlamaReplica: StepLoopObserver {
    /// The sequence's text-side state, if it is still held.
    func sequence(_ id: RequestID) -> ReplicaSequence? {
        self.sequencesLock.withLock { self.sequences[id] }
    }

    public func stepLoop(_ loop: ReplicaStepLoop, didCancel ids: [RequestID]) {
        let cancelled = self.sequencesLock.withLock { ids.compactMap { self.sequences.removeValue(forKey: $0) } }
        // Outside the lock: finishing a stream may run its termination handler.
        for sequence in cancelled { sequence.continuation.finish() }
    }

    /// Streams what the step's sampling produced, now that pacing lets it out.
    public func stepLoop(_ loop: ReplicaStepLoop, didRelease step: Step, executed: ExecutedStep) {
        // One look-up of the step's sequences serves both the timelines and the streams.
        let sequences = self.sequencesLock.withLock { step.entries.map { self.sequences[$0.id] } }
        self.recordTimelines(of: step, executed: executed, loop: loop, sequences: sequences)
        for (entry, sequence) in zip(step.entries, sequences) where entry.needsLogits {
            guard let sequence else { continue }
            for event in sequence.pending { sequence.continuation.yield(event) }
            sequence.pending.removeAll(keepingCapacity: true)
        }
    }

    public func stepLoop(_ loop: ReplicaStepLoop, didFinish completed: [CompletedSequence]) {
        let states = self.sequencesLock.withLock {
            completed.map { (self.sequences.removeValue(forKey: $0.sequence.id), $0) }
        }
        for case (let state?, let done) in states {
            var usage = state.usage
            usage.execution = done.execution
            switch done.sequence.reason {
            case .length:
                state.continuation.yield(.finished(.length, usage))
                state.continuation.finish()
            case .stopped:
                state.continuation.yield(.finished(.stop, usage))
                state.continuation.finish()
            case .failed(let message):
                state.continuation.finish(throwing: GenerationError(.internalFailure, message))
            }
        }
    }

    /// Samples the sequence's next token and queues its text for release; says whether it
    /// stopped. The scheduler ends it with `.length` once it has `maxTokens` tokens, so the
    /// text is flushed here at that point.
    func sample(_ entry: ScheduledSequence, logits: [Float]) -> SequenceOutput {
        guard let sequence = self.sequence(entry.id) else { return .failed("the replica lost the sequence's state") }
        let sampled = sequence.sampler.sample(logits: logits)
        if sampled.isStop {
            let rest = sequence.stopMatcher.flush() + sequence.detokenizer.finish()
            if !rest.isEmpty {
                sequence.pending.append(.token(GeneratedToken(id: sampled.id, text: rest)))
            }
            return .stopped(nil)
        }
        sequence.generated.append(sampled.id)
        var (text, stopped) = sequence.stopMatcher.append(sequence.detokenizer.append(sampled.id))
        let atLimit = sequence.generated.count >= sequence.maxTokens
        if atLimit && !stopped {
            text += sequence.stopMatcher.append(sequence.detokenizer.finish()).emit + sequence.stopMatcher.flush()
        }
        sequence.pending.append(.token(self.generatedToken(sampled, text: text, wantsLogprobs: sequence.wantsLogprobs)))
        return stopped ? .stopped(sampled.id) : .token(sampled.id)
    }

    private func generatedToken(_ sampled: SampledToken, text: String, wantsLogprobs: Bool) -> GeneratedToken {
        guard wantsLogprobs, let logprob = sampled.logprob else {
            return GeneratedToken(id: sampled.id, text: text)
        }
        let tokenizer = self.tokenizer
        func describe(_ id: Int32, _ logprob: Float) -> GatewayCore.TokenLogprob {
            GatewayCore.TokenLogprob(
                token: tokenizer.text(forToken: id), logprob: logprob, bytes: tokenizer.bytes(forToken: id))
        }
        return GeneratedToken(
            id: sampled.id, text: text, logprob: describe(sampled.id, logprob),
            topLogprobs: sampled.topLogprobs.map { describe($0.id, $0.logprob) })
    }
}
