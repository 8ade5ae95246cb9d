import BatchScheduling
import DecodeKernels
import DeviceSimulation
import GatewayCore

extension LlamaReplica {
    /// The replica's name in traces, audit rows and metrics: the registry's id
    /// (`smollm2@1#0`) when it gave one, else `model@version`.
    public var replicaName: String { self.configuration.replicaID ?? "\(self.modelName)@\(self.modelVersion)" }

    /// The device (or TP group) the replica is pinned to, as traces name it; nil when none.
    public var deviceName: String? {
        guard let device = self.configuration.device else { return nil }
        return device.placement.devices.map(\.description).joined(separator: "+")
    }

    /// HBM the replica holds on each device of its group (weights, KV, reserve) and each
    /// device's capacity; empty when it is pinned to none.
    public var deviceMemory: [(device: String, usedBytes: Int, capacityBytes: Int)] {
        guard let device = self.configuration.device else { return [] }
        return device.placement.devices.map {
            ($0.description, device.placement.perDevice.totalBytes, device.spec.memoryBytes)
        }
    }

    func recordArrival(of sequence: ReplicaSequence) {
        guard let timeline = sequence.timeline else { return }
        let name = self.replicaName
        let device = self.deviceName
        let tokens = min(sequence.maxTokens, 1 << 14)
        timeline.record { timeline in
            timeline.arrival = .now
            timeline.interTokenGaps.reserveCapacity(tokens)
            timeline.replica = name
            timeline.device = device
        }
    }

    /// The client went away: the timeline ends here, the scheduler drops it at the next step.
    func cancel(_ id: RequestID) {
        self.sequence(id)?.timeline?.record { $0.recordCancellation(at: .now) }
        self.loop.cancel(id)
    }

    /// Folds one released step into the timelines of the sequences it ran: a prefill chunk
    /// record or the decode aggregate each, the first token, the finish, the simulated device
    /// time; a preemption for those it preempted. Runs on the loop's thread; one lock per
    /// sequence per step, and in steady decode nothing allocates but the caller's one array.
    /// `sequences` holds each entry's state, in the step's order (nil once it is gone).
    func recordTimelines(of step: Step, executed: ExecutedStep, loop: ReplicaStepLoop, sequences: [ReplicaSequence?]) {
        let ended = ContinuousClock.now
        // The step's scheduling time, moved from the loop's clock onto the monotonic clock.
        let started = ended - max(.zero, loop.now - step.scheduledAt)
        let stepTokens = step.tokenCount
        let stepSequences = step.entries.count
        for (entry, sequence) in zip(step.entries, sequences) {
            guard let sequence, let timeline = sequence.timeline else { continue }
            let output = executed.outputs[entry.id]
            let produced: Bool
            let finishReason: String?
            switch output {
            case .token?:
                produced = true
                finishReason = sequence.generated.count >= sequence.maxTokens ? FinishReason.length.rawValue : nil
            case .stopped(let token)?:
                produced = token != nil
                finishReason = FinishReason.stop.rawValue
            case .failed?:
                produced = false
                finishReason = "failed"
            case nil:
                produced = false
                finishReason = nil
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
                            stepTokens: stepTokens, stepSequences: stepSequences, producedToken: produced,
                            simulatedDeviceTime: executed.deviceTime))
                case .decode:
                    timeline.decode.record(start: started, end: ended, batchSize: stepSequences, producedToken: produced)
                    timeline.decode.simulatedDeviceTime += executed.deviceTime
                }
                if produced { timeline.recordToken(at: ended) }
                timeline.peakKVBlocks = max(timeline.peakKVBlocks, blocks)
                if let finishReason, timeline.finished == nil {
                    timeline.finished = ended
                    timeline.finishReason = finishReason
                }
            }
        }
        for id in step.preempted {
            self.sequence(id)?.timeline?.record { $0.preemptions.append(started) }
        }
    }
}
