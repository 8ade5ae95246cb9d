import BatchScheduling
import DeviceSimulation
import GatewayCore

/// The executor of `switchyard simulate`: no model, no memory beyond the scheduler's
/// bookkeeping. A step takes what the cost model says, and every sequence that needs a token
/// gets a deterministic synthetic one (a hash of its id and position), so runs repeat exactly.
/// Sequences end at their `maxTokens`; a synthetic token never stops one early.
public struct SimulatedStepExecutor: StepExecutor, Sendable {
    public let costModel: CostModel

    public init(costModel: CostModel) {
        self.costModel = costModel
    }

    public func execute(_ step: Step) -> ExecutedStep {
        var outputs: [RequestID: SequenceOutput] = [:]
        let vocabulary = UInt64(max(self.costModel.profile.vocabularySize, 1))
        for entry in step.entries where entry.needsLogits {
            let position = entry.startPosition + entry.tokens.count
            outputs[entry.id] = .token(Int32(truncatingIfNeeded: Self.hash(entry.id.rawValue, position) % vocabulary))
        }
        return ExecutedStep(outputs: outputs, deviceTime: self.costModel.duration(of: step))
    }

    /// FNV-1a over the id's bytes and the position: stable across processes, unlike `Hasher`.
    static func hash(_ id: String, _ position: Int) -> UInt64 {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var word = UInt64(truncatingIfNeeded: position)
        for _ in 0..<8 {
            state = (state ^ (word & 0xff)) &* 0x0000_0100_0000_01b3
            word >>= 8
        }
        return state
    }
}
