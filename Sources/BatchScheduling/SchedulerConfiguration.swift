/// The limits one replica's scheduler works within. All counts are in tokens or blocks of
/// the replica's KV pool; times are `Duration`s on the driver's clock.
public struct SchedulerConfiguration: Sendable, Equatable {
    /// Most tokens (decode tokens plus prompt chunks) one step may run.
    public var maxNumBatchedTokens: Int
    /// Most sequences running (holding KV blocks) at once.
    public var maxNumSeqs: Int
    /// Most prompt tokens one sequence gets in one step (chunked prefill).
    public var prefillChunkSize: Int
    /// Tokens per KV block; 16 matches `PagedKVCache.tokensPerBlock`.
    public var blockSize: Int
    /// Blocks in the replica's KV pool.
    public var totalBlocks: Int
    /// Most tokens of demand (prompt plus max tokens, less what was generated) the waiting
    /// queue may hold; a request that would push it over is refused with 429.
    public var maxQueuedTokens: Int
    /// How long a request may wait to start when it names no deadline of its own.
    public var defaultDeadline: Duration
    /// Tokens per second assumed for admission until a step run with requests waiting has
    /// measured the replica's capacity.
    public var initialDrainRate: Double
    /// Weight of the newest step in the exponentially smoothed drain rate.
    public var drainRateSmoothing: Double
    /// Whether full blocks are content-addressed and shared between sequences.
    public var enablePrefixCaching: Bool

    /// The starting drain rate of a replica that has not timed a step of its own.
    public static let uncalibratedDrainRate: Double = 1_000

    public init(
        maxNumBatchedTokens: Int = 512,
        maxNumSeqs: Int = 32,
        prefillChunkSize: Int = 256,
        blockSize: Int = 16,
        totalBlocks: Int,
        maxQueuedTokens: Int = 1 << 20,
        defaultDeadline: Duration = .seconds(30),
        initialDrainRate: Double = SchedulerConfiguration.uncalibratedDrainRate,
        drainRateSmoothing: Double = 0.2,
        enablePrefixCaching: Bool = true
    ) {
        self.maxNumBatchedTokens = maxNumBatchedTokens
        self.maxNumSeqs = maxNumSeqs
        self.prefillChunkSize = prefillChunkSize
        self.blockSize = blockSize
        self.totalBlocks = totalBlocks
        self.maxQueuedTokens = maxQueuedTokens
        self.defaultDeadline = defaultDeadline
        self.initialDrainRate = initialDrainRate
        self.drainRateSmoothing = drainRateSmoothing
        self.enablePrefixCaching = enablePrefixCaching
    }

    /// The first limit that makes no sense, as a one-line message, or nil.
    var problem: String? {
        if self.maxNumBatchedTokens < 1 { return "maxNumBatchedTokens must be at least 1" }
        if self.maxNumSeqs < 1 { return "maxNumSeqs must be at least 1" }
        if self.prefillChunkSize < 1 { return "prefillChunkSize must be at least 1" }
        if self.blockSize < 1 { return "blockSize must be at least 1" }
        if self.totalBlocks < 1 || self.totalBlocks > Int(Int32.max) {
            return "totalBlocks must be between 1 and \(Int32.max)"
        }
        if self.maxQueuedTokens < 0 { return "maxQueuedTokens must not be negative" }
        if self.defaultDeadline <= .zero { return "defaultDeadline must be positive" }
        if !(self.initialDrainRate > 0) { return "initialDrainRate must be positive" }
        if !(self.drainRateSmoothing > 0 && self.drainRateSmoothing <= 1) {
            return "drainRateSmoothing must be in (0, 1]"
        }
        return nil
    }
}

/// A configuration the scheduler cannot run with.
public struct SchedulerConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { "scheduler configuration: \(self.message)" }
}
