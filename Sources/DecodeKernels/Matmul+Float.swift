import CKernels

/// Whether the CPU runs CKernels' AVX2 float rows; probed once.
private let floatRowsNative = ck_detect_isa() != CK_ISA_NONE

/// `matmul` without rounding the activations: each weight row is dequantized to Floats (once
/// per call) and dotted with the unrounded input rows in float. Several times slower than
/// `matmul`; it is the reference for accuracy measurements. Why it exists: the integer
/// matmuls round every activation row to 8 bits, and a perturbation as small as scaling the
/// fp16 KV cache by 1 + 2^-9 flips enough of those roundings to move SmolLM2's top-1 token at
/// about 4% of positions of prose (measured: 96% agreement, KL 0.003 against the unperturbed
/// run; with float activations 100% and 0.00003). A comparison of KV formats through the
/// integer path therefore measures that rounding chaos, not the formats.
public func floatMatmul<let count: Int>(
    _ targets: InlineArray<count, MatmulTarget>, input: UnsafePointer<Float>, batch: Int, pool: ThreadPool
) {
    guard count > 0, batch > 0 else { return }
    let columns = targets[0].weights.columns
    for index in targets.indices {
        precondition(targets[index].weights.columns == columns, "floatMatmul: targets must have the same columns")
    }
    let native = floatRowsNative
    forEachRowChunk(of: targets, pool: pool) { target, rows in
        let weights = targets[target].weights
        let output = targets[target].output
        withUnsafeTemporaryAllocation(of: Float.self, capacity: columns) { buffer in
            guard let row = buffer.baseAddress else { return }
            for r in rows {
                dequantizeRow(weights.type, weights.data + r * weights.rowBytes, count: columns, into: row)
                if native {
                    ck_float_rows_avx2(row, input, Int64(columns), Int64(batch), output + r, Int64(weights.rows))
                    continue
                }
                for b in 0..<batch {
                    let x = input + b * columns
                    var total: Float = 0
                    for k in 0..<columns { total += row[k] * x[k] }
                    output[b * weights.rows + r] = total
                }
            }
        }
    }
}
