/// A snapshot of one scheduler, for the replica's statistics and metrics.
public struct SchedulerStatistics: Sendable, Equatable {
    public var running = 0
    public var waiting = 0
    public var totalBlocks = 0
    /// Blocks an allocation can get (never used, or cached and unreferenced).
    public var freeBlocks = 0
    /// Blocks at least one sequence references.
    public var usedBlocks = 0
    /// Blocks whose content the prefix cache can hand out.
    public var cachedBlocks = 0
    /// Full prompt blocks looked up in the prefix cache at admission, and how many hit.
    public var prefixCacheQueries = 0
    public var prefixCacheHits = 0
    public var preemptions = 0
    public var steps = 0
    /// Demand (prompt plus max tokens) of the waiting queue, in tokens.
    public var queuedTokens = 0
    /// Smoothed tokens per second of the measured steps (the initial estimate before any).
    public var drainRate = 0.0

    /// Fraction of looked-up blocks found in the prefix cache; 0 before any lookup.
    public var prefixCacheHitRate: Double {
        self.prefixCacheQueries == 0 ? 0 : Double(self.prefixCacheHits) / Double(self.prefixCacheQueries)
    }
}
