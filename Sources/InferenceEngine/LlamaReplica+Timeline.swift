import BatchScheduling
import DecodeKernels
import Foundation
import GatewayCore

extension LlamaReplica {
    /// The replica's name in traces and audit rows: `model@version`.
    public var replicaName: String { "\(self.modelName)@\(self.modelVersion)" }

    func recordArrival(of sequence: ReplicaSequence) {
        guard let timeline = sequence.timeline else { return }
        let name = self.replicaName
        timeline.record { timeline in
            timeline.arrival = .now
            timeline.replica = name
        }
    }
}

extension LlamaReplica.StepLoop {
    /// Folds one step into the timelines of the sequences it ran: a prefill chunk record or a
    /// decode aggregate each, the first token, the finish; preemptions for those it preempted.
    /// One lock per sequence per step; nothing here allocates in steady decode.
    func recordTimelines(
        of step: Step, outputs: StepResult, sequences: [RequestID: ReplicaSequence], started: ContinuousClock.Instant
    ) {
        let ended = ContinuousClock.now
        let stepTokens = step.tokenCount
        let stepSequences = step.entries.count
        for entry in step.entries {
            guard let sequence = sequences[entry.id], let timeline = sequence.timeline else { continue }
            let output = outputs.outputs[entry.id]
            let produced: Bool
            switch output {
            case .token?: produced = true
            case .stopped(let token)?: produced = token != nil
            case .failed?, nil: produced = false
            }
            let finishReason: String?
            switch output {
            case .stopped?: finishReason = FinishReason.stop.rawValue
            case .failed?: finishReason = "failed"
            case .token?: finishReason = sequence.generated.count >= sequence.maxTokens ? FinishReason.length.rawValue : nil
            case nil: finishReason = nil
            }
            let blocks = entry.blockTable.count
            timeline.record { timeline in
                if timeline.admitted == nil {
                    timeline.admitted = started
                    timeline.prefixCachedTokens = entry.kind == .prefill ? entry.startPosition : 0
                    timeline.prefixCachedBlocks = timeline.prefixCachedTokens / PagedKVCache.tokensPerBlock
                }
                switch entry.kind {
                case .prefill:
                    timeline.prefillChunks.append(
                        RequestTimeline.PrefillChunk(
                            start: started, end: ended, tokens: entry.tokens.count, startPosition: entry.startPosition,
                            stepTokens: stepTokens, stepSequences: stepSequences, producedToken: produced))
                case .decode:
                    timeline.decode.record(start: started, end: ended, batchSize: stepSequences, producedToken: produced)
                }
                if produced && timeline.firstToken == nil { timeline.firstToken = ended }
                timeline.peakKVBlocks = max(timeline.peakKVBlocks, blocks)
                if let finishReason, timeline.finished == nil {
                    timeline.finished = ended
                    timeline.finishReason = finishReason
                }
            }
        }
        guard !step.preempted.isEmpty else { return }
        let preempted = self.replica.condition.withLock {
            step.preempted.compactMap { self.replica.inbox.sequences[$0]?.timeline }
        }
        for timeline in preempted { timeline.record { $0.preemptions.append(started) } }
    }
}
