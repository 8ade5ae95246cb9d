import CKernels

/// The implementation of the quantized dot products. `swift` is the portable reference; the
/// others are the CKernels intrinsics, usable where the CPU has the instructions.
enum MatmulKernel: Sendable, CaseIterable {
    case swift
    case avx2
    case avx512VNNI

    /// The fastest kernel this CPU runs, probed once.
    static let best: MatmulKernel = {
        switch ck_detect_isa() {
        case CK_ISA_AVX512VNNI: return .avx512VNNI
        case CK_ISA_AVX2: return .avx2
        default: return .swift
        }
    }()

    /// Whether this CPU can run the kernel.
    var isSupported: Bool {
        switch self {
        case .swift: return true
        case .avx2: return MatmulKernel.best != .swift
        case .avx512VNNI: return MatmulKernel.best == .avx512VNNI
        }
    }
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

func matmul(
    _ weights: QuantizedMatrix, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel
) {
    precondition(weights.columns <= workspace.maxColumns, "matmul: workspace holds \(workspace.maxColumns) columns, weights have \(weights.columns)")
    var first = 0
    while first < batch {
        let count = min(workspace.maxBatch, batch - first)
        matmulTile(
            weights, input: input + first * weights.columns, batch: count,
            output: output + first * weights.rows, workspace: workspace, pool: pool, kernel: kernel)
        first += count
    }
}

/// Output rows per work item: enough items for the threads to balance (about 16 each),
/// at least 16 rows so the per-item overhead stays small, at most 256.
func matmulChunkRows(rows: Int, threads: Int) -> Int {
    min(256, max(16, rows / (threads * 16)))
}

private func matmulTile(
    _ weights: QuantizedMatrix, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, workspace: MatmulWorkspace, pool: ThreadPool, kernel: MatmulKernel
) {
    let columns = weights.columns
    let rows = weights.rows
    switch weights.type {
    case .q4_0, .q4_1, .q8_0:
        pool.parallelFor(batch) { b in workspace.quantizeBlocks32(input + b * columns, row: b, columns: columns) }
    case .q4_K, .q6_K:
        pool.parallelFor(batch) { b in workspace.quantizeBlocks256(input + b * columns, row: b, columns: columns) }
    case .f32, .f16:
        break
    }
    let chunkRows = matmulChunkRows(rows: rows, threads: pool.threadCount)
    let chunks = (rows + chunkRows - 1) / chunkRows
    let rowBytes = weights.rowBytes
    let native: (@convention(c) (UnsafePointer<ck_matmul_args>?) -> Void)?
    switch weights.type {
    case .q4_0: native = ck_matmul_q4_0
    case .q4_1: native = ck_matmul_q4_1
    case .q8_0: native = ck_matmul_q8_0
    case .q4_K: native = ck_matmul_q4_k
    case .q6_K: native = ck_matmul_q6_k
    case .f32, .f16: native = nil
    }
    let isa: ck_isa = kernel == .avx512VNNI ? CK_ISA_AVX512VNNI : CK_ISA_AVX2
    pool.parallelFor(chunks) { chunk in
        let start = chunk * chunkRows
        let end = min(rows, start + chunkRows)
        if let native, kernel != .swift {
            var args = ck_matmul_args(
                weights: (weights.data + start * rowBytes).assumingMemoryBound(to: UInt8.self),
                row_bytes: rowBytes, rows: Int32(end - start), columns: Int32(columns),
                act_quants: workspace.quants, act_scales: workspace.scales, act_sums: workspace.sums,
                act_group_sums: workspace.groupSums, batch: Int32(batch),
                out: output + start, out_stride: Int32(rows), isa: isa)
            native(&args)
        } else {
            referenceMatmulRows(
                weights, start..<end, input: input, batch: batch, output: output, workspace: workspace)
        }
    }
}
