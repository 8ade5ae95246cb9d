import BatchScheduling
import DeviceSimulation
import GatewayCore

/// Runs the iterations a scheduler decides. The CPU executor runs the real forward pass and
/// samples real tokens; the simulated one only asks the cost model how long the step takes
/// and makes up deterministic tokens, so a fleet of 70B replicas runs on a virtual clock.
/// Both report the step's time on the simulated device the replica is pinned to, which is
/// what pacing and the per-request execution records use.
public protocol StepExecutor {
    /// Runs `step` and returns one output per entry that needs logits.
    func execute(_ step: Step) -> ExecutedStep
}

/// What an executor reports for one step.
public struct ExecutedStep: Sendable, Equatable {
    /// One output per entry that needed logits (entries without may report a stop or failure).
    public var outputs: [RequestID: SequenceOutput]
    /// How long the step takes on the simulated device; zero for a replica pinned to none.
    public var deviceTime: Duration

    public init(outputs: [RequestID: SequenceOutput], deviceTime: Duration) {
        self.outputs = outputs
        self.deviceTime = deviceTime
    }

    /// The step failed as a whole (the forward pass threw): every sequence in it fails.
    public static func failed(_ step: Step, message: String, deviceTime: Duration = .zero) -> ExecutedStep {
        var outputs: [RequestID: SequenceOutput] = [:]
        for entry in step.entries { outputs[entry.id] = .failed(message) }
        return ExecutedStep(outputs: outputs, deviceTime: deviceTime)
    }
}

extension CostModel {
    /// How long `step` takes on the simulated device: each entry is its tokens on top of the
    /// context already cached before it.
    public func duration(of step: Step) -> Duration {
        self.duration(of: step.entries.map { SequenceStep(newTokens: $0.tokens.count, contextTokens: $0.startPosition) })
    }
}
