import ArgumentParser
import DecodeKernels
import Foundation
import GatewayCore

/// `switchyard bench attention`: the paged decode-attention kernel alone, at serving scale.
/// One decode step for `sequences` sequences of `tokens` positions each (SmolLM2's heads:
/// 9 query over 3 KV, head size 64), timed per step and given as a median. Each step reads a
/// different layer of a cache larger than the last-level cache, as a forward pass does, so the
/// figure is DRAM-bound like a real decode. Reports KV bytes read per second against the
/// STREAM-style read bandwidth measured in the same run, and int8 against fp16 KV.
struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Benchmark paged decode attention over int8 and fp16 KV against DRAM read bandwidth.")

    @Option(help: "Sequences in the decode batch.")
    var sequences = 16

    @Option(help: "Positions per sequence.")
    var tokens = 4096

    @Option(help: "Layers the steps cycle through (the working set is layers × the KV of one layer).")
    var layers = 4

    @Option(help: "Rounds, each a bandwidth measurement and one decode step per layer and format (medians are reported).")
    var rounds = 15

    @Option(help: "Threads (default: all online cores).")
    var threads = ThreadPool.onlineCores

    func validate() throws {
        guard sequences > 0, tokens > 0, layers > 0, rounds > 0, threads > 0 else {
            throw ValidationError("sequences, tokens, layers, rounds and threads must be positive")
        }
        guard sequences * tokens <= 1 << 22 else {
            throw ValidationError("at most 4,194,304 positions in all (sequences × tokens)")
        }
    }

    func run() throws {
        let pool = ThreadPool(threadCount: threads)
        let queryHeads = 9, kvHeads = 3, headDim = 64
        print("paged decode attention: \(sequences) sequences × \(tokens) positions, \(queryHeads) query / \(kvHeads) KV heads × \(headDim), \(pool.threadCount) threads, \(layers) layers cycled, \(rounds) rounds")
        let int8 = try DecodeStep(
            format: .int8, sequences: sequences, tokens: tokens, layers: layers,
            queryHeads: queryHeads, kvHeads: kvHeads, headDim: headDim)
        let fp16 = try DecodeStep(
            format: .fp16, sequences: sequences, tokens: tokens, layers: layers,
            queryHeads: queryHeads, kvHeads: kvHeads, headDim: headDim)
        // Warm-up: threads, page tables, one pass over every layer.
        _ = try int8.time(steps: layers, pool: pool)
        _ = try fp16.time(steps: layers, pool: pool)

        // Each round measures the read bandwidth and both formats back to back, so each ratio
        // compares figures taken under the same conditions (this host is shared).
        var bandwidths: [Double] = [], int8Seconds: [Double] = [], fp16Seconds: [Double] = []
        var int8Fractions: [Double] = [], fp16Fractions: [Double] = [], speedups: [Double] = []
        for _ in 0..<rounds {
            let bandwidth = measureReadBandwidth(bytes: 256 << 20, repeats: 3, pool: pool)
            let int8Time = try int8.time(steps: layers, pool: pool)
            let fp16Time = try fp16.time(steps: layers, pool: pool)
            bandwidths.append(bandwidth)
            int8Seconds.append(int8Time)
            fp16Seconds.append(fp16Time)
            int8Fractions.append(Double(int8.bytesPerStep) / int8Time / bandwidth)
            fp16Fractions.append(Double(fp16.bytesPerStep) / fp16Time / bandwidth)
            speedups.append(fp16Time / int8Time)
        }
        let bandwidth = median(bandwidths)
        print("DRAM read bandwidth (STREAM-style sum), median: \(gigabytes(bandwidth)) GB/s")
        for (step, seconds, fractions) in [(int8, int8Seconds, int8Fractions), (fp16, fp16Seconds, fp16Fractions)] {
            let time = median(seconds)
            let name = step.format.rawValue + String(repeating: " ", count: max(0, 5 - step.format.rawValue.count))
            print("\(name) median step \(milliseconds(time)) ms, KV read \(gigabytes(Double(step.bytesPerStep) / time)) GB/s; median KV read / read bandwidth \(percent(median(fractions))) (range \(percent(fractions.min() ?? 0))–\(percent(fractions.max() ?? 0))); \(step.bytesPerToken) bytes per token per layer")
        }
        print("int8 vs fp16: median \(String(format: "%.2f", median(speedups)))× faster, \(String(format: "%.2f", Double(fp16.bytesPerToken) / Double(int8.bytesPerToken)))× fewer bytes per token (\(int8.bytesPerToken) vs \(fp16.bytesPerToken) per layer; SmolLM2's 30 layers: \(30 * int8.bytesPerToken) vs \(30 * fp16.bytesPerToken))")
    }

    private func gigabytes(_ bytesPerSecond: Double) -> String { String(format: "%.1f", bytesPerSecond / 1e9) }
    private func milliseconds(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1e3) }
    private func percent(_ fraction: Double) -> String { String(format: "%.0f%%", fraction * 100) }
}

/// One format's cache filled with random KV for every sequence and layer, and the decode
/// batch (one query token per sequence, seeing all its positions) that the bench times.
private final class DecodeStep {
    let format: KVCacheFormat
    let cache: PagedKVCache
    let queryHeads: Int
    let bytesPerToken: Int
    let bytesPerStep: Int
    private var batch: AttentionBatch
    private let queries: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private let workspace = AttentionWorkspace()
    private var nextLayer = 0

    init(format: KVCacheFormat, sequences: Int, tokens: Int, layers: Int, queryHeads: Int, kvHeads: Int, headDim: Int) throws {
        self.format = format
        self.queryHeads = queryHeads
        let blockCount = sequences * ((tokens + 15) / 16)
        let cache = try PagedKVCache(layers: layers, kvHeads: kvHeads, headDim: headDim, blockCount: blockCount, format: format)
        self.cache = cache
        self.bytesPerToken = cache.bytesPerTokenPerLayer
        self.bytesPerStep = sequences * tokens * self.bytesPerToken
        var blocks = try KVBlockPool(blockCount: blockCount)
        var batch = AttentionBatch()
        var generator = SystemRandomNumberGenerator()
        let row = kvHeads * headDim
        // 64 random rows reused round-robin: random enough for timing, quick to write.
        let keys = (0..<(64 * row)).map { _ in Float.random(in: -1...1, using: &generator) }
        let values = (0..<(64 * row)).map { _ in Float.random(in: -1...1, using: &generator) }
        for sequence in 0..<sequences {
            var table = BlockTable()
            let plan = try blocks.append(tokens: tokens, to: &table)
            try keys.withUnsafeBufferPointer { k in
                try values.withUnsafeBufferPointer { v in
                    for (position, slot) in plan.slots.enumerated() {
                        let sample = (position * 7 + sequence) % 64 * row
                        for layer in 0..<layers {
                            try cache.write(
                                layer: layer, block: slot.block, slot: slot.slot,
                                keys: k.baseAddress! + sample, values: v.baseAddress! + sample)
                        }
                    }
                }
            }
            batch.append(table: table, visibleLengths: [tokens])
        }
        self.batch = batch
        let queryCount = sequences * queryHeads * headDim
        self.queries = .allocate(capacity: queryCount)
        self.output = .allocate(capacity: queryCount)
        for index in 0..<queryCount { self.queries[index] = Float.random(in: -2...2, using: &generator) }
    }

    deinit {
        self.queries.deallocate()
        self.output.deallocate()
    }

    /// Median seconds of `steps` decode steps, each on the next layer in turn.
    func time(steps: Int, pool: ThreadPool) throws -> Double {
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<steps {
            let layer = self.nextLayer
            self.nextLayer = (layer + 1) % self.cache.layers
            let start = clock.now
            try self.batch.withQueries { batch in
                try pagedAttention(
                    queries: self.queries, tokens: batch, cache: self.cache, layer: layer,
                    queryHeads: self.queryHeads, output: self.output, workspace: self.workspace, pool: pool)
            }
            let elapsed = clock.now - start
            times.append(elapsed.secondsValue)
        }
        times.sort()
        return times[times.count / 2]
    }
}
