import CKernels

/// The implementation of the quantized dot products. `swift` is the portable reference; the
/// others are the CKernels intrinsics, usable where the CPU has the instructions.
public enum MatmulKernel: String, Sendable, CaseIterable, CustomStringConvertible {
    case swift
    case avx2
    case avx512VNNI = "avx512vnni"

    /// The fastest kernel this CPU runs, probed once.
    public static let best: MatmulKernel = {
        switch ck_detect_isa() {
        case CK_ISA_AVX512VNNI: return .avx512VNNI
        case CK_ISA_AVX2: return .avx2
        default: return .swift
        }
    }()

    /// Whether this CPU can run the kernel.
    public var isSupported: Bool {
        switch self {
        case .swift: return true
        case .avx2: return MatmulKernel.best != .swift
        case .avx512VNNI: return MatmulKernel.best == .avx512VNNI
        }
    }

    public var description: String { self.rawValue }
}

/// output[b · rows + r] = Σ_k W[r, k] · input[b · columns + k] for b in 0..<batch.
///
/// Quantized weights are used as stored: each activation row is quantized once per call to
/// 8 bits (Q8_0-style blocks of 32 for Q4_0, Q4_1 and Q8_0 weights; Q8_K-style blocks of 256
/// for Q4_K and Q6_K) into `workspace`, and the dot products are integer products scaled
/// per block, as ggml computes them. F32 and F16 weights use float dot products. Output rows
/// are split across `pool`'s threads in chunks; within a chunk every weight row is read once
/// for all activation rows (up to `workspace.maxBatch` at a time). Nothing is allocated.
/// `weights.columns` must not exceed `workspace.maxColumns`.
public func matmul(
    _ weights: QuantizedMatrix, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, workspace: MatmulWorkspace, pool: ThreadPool
) {
    matmul(weights, input: input, batch: batch, output: output, workspace: workspace, pool: pool, kernel: .best)
}

/// `matmul` with a chosen kernel, for benchmarks and tests; a kernel this CPU cannot run
/// falls back to the Swift one.
public func matmul(
    _ weights: QuantizedMatrix, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel
) {
    matmul([MatmulTarget(weights, output: output)], input: input, batch: batch, workspace: workspace, pool: pool, kernel: kernel)
}

/// One matrix of a grouped `matmul` and where its output goes (`batch × weights.rows` floats).
public struct MatmulTarget: @unchecked Sendable {
    public var weights: QuantizedMatrix
    public var output: UnsafeMutablePointer<Float>

    public init(_ weights: QuantizedMatrix, output: UnsafeMutablePointer<Float>) {
        self.weights = weights
        self.output = output
    }
}

/// Several matmuls over the same input, such as a layer's Q, K and V projections or its gate
/// and up projections: the same results as one `matmul` per target, but when every target's
/// weights take their activations quantized the same way (Q4_0, Q4_1 and Q8_0 alike; Q4_K and
/// Q6_K alike), the input is quantized once and one parallel loop covers every target's output
/// rows, instead of a quantization and a dispatch per matrix. Every target must have the same
/// number of columns. Nothing is allocated (the targets live inline).
public func matmul<let count: Int>(
    _ targets: InlineArray<count, MatmulTarget>, input: UnsafePointer<Float>, batch: Int,
    workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel = .best
) {
    guard count > 0 else { return }
    let columns = targets[0].weights.columns
    let style = targets[0].weights.type.activationStyle
    var shared = true
    for index in targets.indices {
        precondition(targets[index].weights.columns == columns, "matmul: grouped targets must have the same columns")
        if targets[index].weights.type.activationStyle != style { shared = false }
    }
    precondition(columns <= workspace.maxColumns, "matmul: workspace holds \(workspace.maxColumns) columns, weights have \(columns)")
    guard shared else {
        for index in targets.indices {
            matmul([targets[index]], input: input, batch: batch, workspace: workspace, pool: pool, kernel: kernel)
        }
        return
    }
    let kernel = kernel.isSupported ? kernel : .swift
    var first = 0
    while first < batch {
        let tile = min(workspace.maxBatch, batch - first)
        var shifted = targets
        for index in shifted.indices {
            shifted[index].output = targets[index].output + first * targets[index].weights.rows
        }
        matmulTile(shifted, input: input + first * columns, batch: tile, workspace: workspace, pool: pool, kernel: kernel)
        first += tile
    }
}

/// Activation rows from which the tiled kernel runs: it computes whole groups of 8, so 4 rows
/// cost it as much as 8 (measured: as slow as the row kernel at 576 columns, 1.4× slower at
/// 1,536); from 5 rows it is ahead.
let tiledMinimumBatch = 5

/// The tiled kernel unpacks a few weight rows onto the stack (`CK_TILE_ROWS × columns`
/// bytes); wider matrices take the row kernel.
let tiledMaximumColumns = 16_384

/// Output rows per work item: enough items for the threads to balance (about 16 each),
/// at least 16 rows so the per-item overhead stays small, at most 256.
func matmulChunkRows(rows: Int, threads: Int) -> Int {
    min(256, max(16, rows / (threads * 16)))
}

/// One parallel loop over the output rows of every target: each target's rows split into
/// chunks of one size (`matmulChunkRows` of the total), and `body(target, rows)` runs once per
/// chunk on the pool's threads.
func forEachRowChunk<let count: Int>(
    of targets: InlineArray<count, MatmulTarget>, pool: ThreadPool, _ body: (_ target: Int, _ rows: Range<Int>) -> Void
) {
    var totalRows = 0
    for index in targets.indices { totalRows += targets[index].weights.rows }
    let chunkRows = matmulChunkRows(rows: totalRows, threads: pool.threadCount)
    // firstChunk[t]: the index of target t's first chunk in the combined loop.
    var firstChunk = InlineArray<count, Int>(repeating: 0)
    var chunks = 0
    for index in targets.indices {
        firstChunk[index] = chunks
        chunks += (targets[index].weights.rows + chunkRows - 1) / chunkRows
    }
    pool.parallelFor(chunks) { chunk in
        var target = 0
        while target + 1 < count, firstChunk[target + 1] <= chunk { target += 1 }
        let start = (chunk - firstChunk[target]) * chunkRows
        body(target, start..<min(targets[target].weights.rows, start + chunkRows))
    }
}

extension QuantType {
    /// How a matmul with these weights quantizes its activations; types that agree can share one
    /// quantized copy of the input.
    fileprivate var activationStyle: Int {
        switch self {
        case .f32, .f16: return 0
        case .q4_0, .q4_1, .q8_0: return 1
        case .q4_K, .q6_K: return 2
        }
    }

    /// Whether CKernels has the register-tiled kernel for these weights with `kernel`: the
    /// 32-value block formats, Q8_0 only with VNNI (its bytes, offset to 0...255, would
    /// saturate AVX2's 16-bit `vpmaddubsw` sums).
    fileprivate func hasTiledKernel(_ kernel: MatmulKernel) -> Bool {
        switch self {
        case .q4_0, .q4_1: return kernel != .swift
        case .q8_0: return kernel == .avx512VNNI
        case .f32, .f16, .q4_K, .q6_K: return false
        }
    }

    /// The CKernels dot-product kernel for these weights (none for float weights).
    fileprivate var nativeMatmul: (@convention(c) (UnsafePointer<ck_matmul_args>?) -> Void)? {
        switch self {
        case .q4_0: return ck_matmul_q4_0
        case .q4_1: return ck_matmul_q4_1
        case .q8_0: return ck_matmul_q8_0
        case .q4_K: return ck_matmul_q4_k
        case .q6_K: return ck_matmul_q6_k
        case .f32, .f16: return nil
        }
    }
}

/// One tile of at most `workspace.maxBatch` activation rows: quantize once, then every
/// target's output rows in chunks over the pool's threads.
private func matmulTile<let count: Int>(
    _ targets: InlineArray<count, MatmulTarget>, input: UnsafePointer<Float>, batch: Int,
    workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel
) {
    let columns = targets[0].weights.columns
    var tiled = batch >= tiledMinimumBatch && columns <= tiledMaximumColumns
    for index in targets.indices where !targets[index].weights.type.hasTiledKernel(kernel) { tiled = false }
    if tiled {
        workspace.quantizeTiled(input, batch: batch, columns: columns, kernel: kernel, pool: pool)
    } else {
        workspace.quantize(input, batch: batch, columns: columns, for: targets[0].weights.type, kernel: kernel, pool: pool)
    }
    let tiledActs = tiled ? workspace.tiled : ck_tiled_acts()
    let isa: ck_isa = kernel == .avx512VNNI ? CK_ISA_AVX512VNNI : CK_ISA_AVX2
    forEachRowChunk(of: targets, pool: pool) { target, rows in
        let weights = targets[target].weights
        let output = targets[target].output
        let start = rows.lowerBound
        if let native = weights.type.nativeMatmul, kernel != .swift {
            var args = ck_matmul_args(
                weights: (weights.data + start * weights.rowBytes).assumingMemoryBound(to: UInt8.self),
                row_bytes: weights.rowBytes, rows: Int32(rows.count), columns: Int32(columns),
                act_quants: workspace.quants, act_scales: workspace.scales, act_sums: workspace.sums,
                act_group_sums: workspace.groupSums, batch: Int32(batch),
                out: output + start, out_stride: Int32(weights.rows), isa: isa, tiled: tiledActs)
            native(&args)
        } else {
            referenceMatmulRows(
                weights, rows, input: input, batch: batch, output: output, workspace: workspace)
        }
    }
}
