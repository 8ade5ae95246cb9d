import BatchScheduling

/// A replica's load, as its scheduler reports it, and its simulated device's figures.
public struct ReplicaStatistics: Sendable, Equatable {
    /// Sequences in the running batch.
    public var running: Int = 0
    /// Sequences accepted but not yet admitted (waiting for KV blocks or a slot).
    public var waiting: Int = 0
    /// KV blocks referenced by at least one sequence.
    public var usedBlocks: Int = 0
    /// KV blocks no sequence references but whose content the prefix cache keeps.
    public var cachedBlocks: Int = 0
    public var totalBlocks: Int = 0
    /// Fraction of full prompt blocks found in the prefix cache at admission.
    public var prefixCacheHitRate: Double = 0
    /// Sequences preempted by recompute since start.
    public var preemptions: Int = 0
    /// Iterations run since start.
    public var steps: Int = 0
    /// Tokens generated since start.
    public var generatedTokens: Int = 0
    /// Simulated device time of every iteration since start (zero without a device).
    public var deviceTime: Duration = .zero
    /// With `--pace simulated`: how much later than the simulated device the CPU released
    /// its steps, summed, and how many steps were late.
    public var pacingLag: Duration = .zero
    public var laggingSteps: Int = 0

    public init() {}

    init(_ driver: StepDriver) {
        let scheduler = driver.scheduler.statistics
        self.running = scheduler.running
        self.waiting = scheduler.waiting
        self.usedBlocks = scheduler.usedBlocks
        self.cachedBlocks = scheduler.cachedBlocks
        self.totalBlocks = scheduler.totalBlocks
        self.prefixCacheHitRate = scheduler.prefixCacheHitRate
        self.preemptions = scheduler.preemptions
        self.steps = scheduler.steps
        self.generatedTokens = driver.generatedTokens
        self.deviceTime = driver.deviceTime
        self.pacingLag = driver.pacingLag
        self.laggingSteps = driver.laggingSteps
    }
}
