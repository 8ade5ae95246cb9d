import ArgumentParser
import DecodeKernels
import Foundation

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

    @Option(help: "Timed decode steps per format (the median is reported).")
    var repeats = 40

    @Option(help: "Threads (default: all online cores).")
    var threads = ThreadPool.onlineCores

    func validate() throws {
        guard sequences > 0, tokens > 0, layers > 0, repeats > 0, threads > 0 else {
            throw ValidationError("sequences, tokens, layers, repeats and threads must be positive")
        }
        guard sequences * tokens <= 1 << 22 else {
            throw ValidationError("at most 4,194,304 positions in all (sequences × tokens)")
        }
    }

    func run() throws {
        let pool = ThreadPool(threadCount: threads)
        let queryHeads = 9, kvHeads = 3, headDim = 64
        print("paged decode attention: \(sequences) sequences × \(tokens) positions, \(queryHeads) query / \(kvHeads) KV heads × \(headDim), \(pool.threadCount) threads, \(layers) layers cycled")
        let bandwidth = measureReadBandwidth(bytes: 512 << 20, repeats: 7, pool: pool)
        print("DRAM read bandwidth (STREAM-style sum, median of 7): \(gigabytes(bandwidth)) GB/s")

        var results: [KVCacheFormat: (seconds: Double, bytes: Int, bytesPerToken: Int)] = [:]
        for format in [KVCacheFormat.int8, .fp16] {
            let result = try measure(format: format, queryHeads: queryHeads, kvHeads: kvHeads, headDim: headDim, pool: pool)
            results[format] = result
            let rate = Double(result.bytes) / result.seconds
            print("\(format.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) median step \(milliseconds(result.seconds)) ms, KV read \(gigabytes(rate)) GB/s = \(percent(rate / bandwidth)) of read bandwidth; \(result.bytesPerToken) bytes per token per layer")
        }
        if let int8 = results[.int8], let fp16 = results[.fp16] {
            print("int8 vs fp16: \(String(format: "%.2f", fp16.seconds / int8.seconds))× faster, \(String(format: "%.2f", Double(fp16.bytesPerToken) / Double(int8.bytesPerToken)))× fewer bytes per token (\(int8.bytesPerToken) vs \(fp16.bytesPerToken) per layer; SmolLM2's 30 layers: \(30 * int8.bytesPerToken) vs \(30 * fp16.bytesPerToken))")
        }
    }

    /// Fills a cache with random KV for every sequence and layer, then times decode steps.
    private func measure(
        format: KVCacheFormat, queryHeads: Int, kvHeads: Int, headDim: Int, pool: ThreadPool
    ) throws -> (seconds: Double, bytes: Int, bytesPerToken: Int) {
        let blocksPerSequence = (tokens + 15) / 16
        let blockCount = sequences * blocksPerSequence
        let cache = try PagedKVCache(layers: layers, kvHeads: kvHeads, headDim: headDim, blockCount: blockCount, format: format)
        var blocks = try KVBlockPool(blockCount: blockCount)
        var generator = SystemRandomNumberGenerator()
        let row = kvHeads * headDim
        let keys = (0..<(64 * row)).map { _ in Float.random(in: -1...1, using: &generator) }
        let values = (0..<(64 * row)).map { _ in Float.random(in: -1...1, using: &generator) }

        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: blockCount)
        defer { ids.deallocate() }
        for sequence in 0..<sequences {
            var table = BlockTable()
            let plan = try blocks.append(tokens: tokens, to: &table)
            for (position, slot) in plan.slots.enumerated() {
                let sample = (position * 7 + sequence) % 64 * row
                for layer in 0..<layers {
                    try keys.withUnsafeBufferPointer { k in
                        try values.withUnsafeBufferPointer { v in
                            try cache.write(
                                layer: layer, block: slot.block, slot: slot.slot,
                                keys: k.baseAddress! + sample, values: v.baseAddress! + sample)
                        }
                    }
                }
            }
            for (index, block) in table.blocks.enumerated() { ids[sequence * blocksPerSequence + index] = block }
        }

        let batch = (0..<sequences).map { sequence in
            AttentionQuery(blocks: ids + sequence * blocksPerSequence, blockCount: blocksPerSequence, visibleLength: tokens)
        }
        let queryCount = sequences * queryHeads * headDim
        let queries = UnsafeMutablePointer<Float>.allocate(capacity: queryCount)
        defer { queries.deallocate() }
        for index in 0..<queryCount { queries[index] = Float.random(in: -2...2, using: &generator) }
        let output = UnsafeMutablePointer<Float>.allocate(capacity: queryCount)
        defer { output.deallocate() }
        let workspace = AttentionWorkspace()

        let clock = ContinuousClock()
        var times: [Double] = []
        try batch.withUnsafeBufferPointer { batch in
            for step in -layers..<repeats {
                let start = clock.now
                try pagedAttention(
                    queries: queries, tokens: batch, cache: cache, layer: (step + layers) % layers,
                    queryHeads: queryHeads, output: output, workspace: workspace, pool: pool)
                let elapsed = clock.now - start
                // The first pass over the layers warms the threads and the page tables.
                if step >= 0 { times.append(Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)) }
            }
        }
        times.sort()
        let bytes = sequences * tokens * cache.bytesPerTokenPerLayer
        return (times[times.count / 2], bytes, cache.bytesPerTokenPerLayer)
    }

    private func gigabytes(_ bytesPerSecond: Double) -> String { String(format: "%.1f", bytesPerSecond / 1e9) }
    private func milliseconds(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1e3) }
    private func percent(_ fraction: Double) -> String { String(format: "%.0f%%", fraction * 100) }
}
