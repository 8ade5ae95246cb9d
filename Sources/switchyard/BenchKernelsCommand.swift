import ArgumentParser
import DecodeKernels
import Glibc

/// `switchyard bench kernels`: quantized matmul throughput on SmolLM2-135M's shapes, as
/// GFLOP/s and weight bytes read per second, each beside its ratio to the DRAM read
/// bandwidth that `measureReadBandwidth` measures in the same run. Every matrix is replicated
/// until the copies exceed the last-level cache and the calls rotate through them, so the
/// weights come from DRAM as they do in a forward pass over the whole model.
struct BenchKernels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Quantized matmul GFLOP/s and weight-read GB/s vs STREAM-style read bandwidth."
    )

    @Option(help: "Worker threads, the caller included (default: all cores).")
    var threads: Int = ThreadPool.onlineCores

    @Option(help: "Timed passes per case; the median is reported.")
    var repeats: Int = 15

    @Option(help: "Weight formats, comma-separated (F32 F16 Q4_0 Q4_1 Q8_0 Q4_K Q6_K).")
    var types: String = "Q4_1,Q8_0"

    @Option(help: "Batch sizes, comma-separated, each 1...64.")
    var batches: String = "1,16"

    @Option(help: "Dot-product kernel: best, swift, avx2, avx512vnni.")
    var kernel: String = "best"

    @Flag(help: "Time with the calling thread's CPU clock instead of the wall clock: with --threads 1 it leaves out the time other processes take the core (a busy shared machine).")
    var threadCPUTime = false

    @Option(help: "Bytes of weight copies to rotate through per case, in MiB (larger than the LLC).")
    var footprintMiB: Int = 64

    /// SmolLM2-135M's matmul shapes as (rows, columns): q/o, k/v, gate/up, down, output head.
    static let shapes: [(name: String, rows: Int, columns: Int)] = [
        ("attn_q/o", 576, 576), ("attn_k/v", 192, 576), ("ffn_gate/up", 1536, 576),
        ("ffn_down", 576, 1536), ("output", 49152, 576),
    ]

    func run() async throws {
        let selected = try self.types.split(separator: ",").map { name in
            guard let type = QuantType.allCases.first(where: { $0.description == name.uppercased() }) else {
                throw ValidationError("unknown weight format '\(name)'")
            }
            return type
        }
        let batchSizes = try self.batches.split(separator: ",").map { text in
            guard let value = Int(text), (1...64).contains(value) else { throw ValidationError("bad batch size '\(text)'") }
            return value
        }
        let chosen: MatmulKernel
        if self.kernel == "best" {
            chosen = .best
        } else if let named = MatmulKernel(rawValue: self.kernel), named.isSupported {
            chosen = named
        } else {
            throw ValidationError("kernel '\(self.kernel)' is unknown or not supported on this CPU")
        }
        let pool = ThreadPool(threadCount: max(1, self.threads))
        let bandwidth = measureReadBandwidth(pool: pool)
        print("threads \(pool.threadCount), kernel \(chosen), repeats \(self.repeats) (medians), clock \(self.threadCPUTime ? "thread CPU" : "wall")")
        print("STREAM-style read bandwidth: \(format(bandwidth / 1e9, 1)) GB/s")
        fflush(nil)  // each line as it is measured, also into a pipe
        print("type  shape        rows x cols   batch   µs/call  GFLOP/s  weight GB/s  of read BW")
        let workspace = MatmulWorkspace(maxColumns: 1536, maxBatch: batchSizes.max() ?? 1)
        for type in selected {
            for shape in Self.shapes {
                let matrices = MatrixCopies(type: type, rows: shape.rows, columns: shape.columns, footprintBytes: self.footprintMiB << 20)
                defer { matrices.release() }
                for batch in batchSizes {
                    let seconds = matrices.medianSecondsPerCall(
                        batch: batch, repeats: self.repeats, workspace: workspace, pool: pool, kernel: chosen,
                        threadCPUTime: self.threadCPUTime)
                    let flops = 2 * Double(shape.rows * shape.columns * batch) / seconds
                    let bytesPerSecond = Double(matrices.bytesPerCopy) / seconds
                    print(
                        pad(type.description, 5), pad(shape.name, 12), pad("\(shape.rows) x \(shape.columns)", 13),
                        pad("\(batch)", 6), pad(format(seconds * 1e6, 1), 9), pad(format(flops / 1e9, 1), 8),
                        pad(format(bytesPerSecond / 1e9, 2), 12), pad(format(bytesPerSecond / bandwidth * 100, 0) + "%", 10))
                    fflush(nil)  // each line as it is measured, also into a pipe
                }
            }
        }
    }
}

/// Copies of one random quantized matrix whose total exceeds the caches, with the inputs
/// and outputs for the largest batch.
private struct MatrixCopies {
    let copies: [QuantizedMatrix]
    let bytesPerCopy: Int
    let input: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    private let storage: UnsafeMutableRawPointer

    init(type: QuantType, rows: Int, columns: Int, footprintBytes: Int) {
        let matrixBytes = rows * (type.rowBytes(elements: columns) ?? 0)
        let count = max(1, (footprintBytes + matrixBytes - 1) / matrixBytes)
        self.bytesPerCopy = matrixBytes
        let storage = UnsafeMutableRawPointer.allocate(byteCount: matrixBytes * count, alignment: 64)
        self.storage = storage
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        var row = [Float](repeating: 0, count: columns)
        let rowBytes = matrixBytes / rows
        for index in 0..<rows {
            for column in 0..<columns { row[column] = random() * 0.1 }
            row.withUnsafeBufferPointer { quantizeRow(type, $0.baseAddress!, count: columns, into: storage + index * rowBytes) }
        }
        // The copies hold the same values at different addresses; only their memory matters.
        for copy in 1..<count {
            (storage + copy * matrixBytes).copyMemory(from: storage, byteCount: matrixBytes)
        }
        self.copies = (0..<count).map { copy in
            QuantizedMatrix(type: type, rows: rows, columns: columns, data: UnsafeRawPointer(storage + copy * matrixBytes))
        }
        let input = UnsafeMutablePointer<Float>.allocate(capacity: columns * 64)
        for index in 0..<(columns * 64) { input[index] = random() }
        self.input = input
        self.output = .allocate(capacity: rows * 64)
    }

    func release() {
        self.storage.deallocate()
        self.input.deallocate()
        self.output.deallocate()
    }

    /// Median over `repeats` passes of the mean time per call, a pass calling every copy once.
    func medianSecondsPerCall(
        batch: Int, repeats: Int, workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel, threadCPUTime: Bool
    ) -> Double {
        var samples: [Double] = []
        for pass in 0...max(1, repeats) {
            let start = now(threadCPUTime)
            for matrix in self.copies {
                matmul(matrix, input: self.input, batch: batch, output: self.output, workspace: workspace, pool: pool, kernel: kernel)
            }
            let elapsed = now(threadCPUTime) - start
            // The first pass warms the threads and page tables and is not counted.
            if pass > 0 { samples.append(elapsed / Double(self.copies.count)) }
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

/// Seconds on the monotonic clock, or on this thread's CPU clock.
private func now(_ threadCPUTime: Bool) -> Double {
    var time = timespec()
    clock_gettime(threadCPUTime ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

private func format(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if decimals == 0 { return String(Int(rounded)) }
    let whole = Int(rounded.magnitude)
    let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
    let digits = String(fraction)
    return (rounded < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
