import BatchScheduling
import DecodeKernels
import DeviceSimulation
import GatewayCore
import ModelRuntime

/// The executor that really computes: one `LlamaContext.forward` over the paged KV cache for
/// the whole step, then the owner's sampler picks each sequence's token from its logits. The
/// device time is what the replica's pinned device would take for the same step (zero when
/// the replica is pinned to none).
public final class CPUStepExecutor: StepExecutor {
    /// Picks the token of one entry from its logits (sampling, detokenizing, stop sequences
    /// belong to the replica that owns the sequence).
    public typealias Sample = (ScheduledSequence, [Float]) -> SequenceOutput

    public let context: LlamaContext
    public let cache: PagedKVCache
    public let costModel: CostModel?
    let sample: Sample

    public init(context: LlamaContext, cache: PagedKVCache, costModel: CostModel?, sample: @escaping Sample) {
        self.context = context
        self.cache = cache
        self.costModel = costModel
        self.sample = sample
    }

    public func execute(_ step: Step) -> ExecutedStep {
        let deviceTime = self.costModel?.duration(of: step) ?? .zero
        let entries = step.entries.map {
            LlamaBatchEntry(
                tokens: $0.tokens, startPosition: $0.startPosition, blockTable: $0.blockTable, needsLogits: $0.needsLogits)
        }
        let logits: [[Float]]
        do {
            logits = try self.context.forward(entries, cache: self.cache)
        } catch {
            return .failed(step, message: "forward pass failed: \(error)", deviceTime: deviceTime)
        }
        // `forward` returns one array per entry, in order (empty where no logits were asked).
        var outputs: [RequestID: SequenceOutput] = [:]
        for (index, entry) in step.entries.enumerated() where entry.needsLogits {
            guard index < logits.count else {
                outputs[entry.id] = .failed("the forward pass returned no logits for the sequence")
                continue
            }
            outputs[entry.id] = self.sample(entry, logits[index])
        }
        return ExecutedStep(outputs: outputs, deviceTime: deviceTime)
    }
}
