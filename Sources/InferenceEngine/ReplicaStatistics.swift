/// A replica's load, as its step loop last published it.
public struct ReplicaStatistics: Sendable, Equatable {
    /// Sequences in the running batch.
    public var running: Int = 0
    /// Sequences accepted but not yet admitted (waiting for KV blocks or a slot).
    public var waiting: Int = 0
    /// KV blocks held by sequences.
    public var usedBlocks: Int = 0
    public var totalBlocks: Int = 0
    /// Iterations run since start.
    public var steps: Int = 0
    /// Tokens generated since start.
    public var generatedTokens: Int = 0

    public init() {}
}
