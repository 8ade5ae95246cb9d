@testable import DecodeKernels
import Testing

/// A random quantized matrix, its dequantized values and a batch of random activations.
struct MatmulCase {
    let type: QuantType
    let rows: Int
    let columns: Int
    let batch: Int
    let packed: UnsafeMutableRawPointer
    let weights: [Float]
    let input: [Float]

    init(type: QuantType, rows: Int, columns: Int, batch: Int, seed: UInt64) {
        self.type = type
        self.rows = rows
        self.columns = columns
        self.batch = batch
        var random = TestRandom(seed: seed)
        let source = random.values(rows * columns, scale: 0.5)
        let rowBytes = type.rowBytes(elements: columns) ?? 0
        let packed = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        var restored = [Float](repeating: 0, count: rows * columns)
        source.withUnsafeBufferPointer { src in
            restored.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rows {
                    quantizeRow(type, src.baseAddress! + row * columns, count: columns, into: packed + row * rowBytes)
                    dequantizeRow(type, packed + row * rowBytes, count: columns, into: dst.baseAddress! + row * columns)
                }
            }
        }
        self.packed = packed
        self.weights = restored
        self.input = random.values(batch * columns, scale: 2)
    }

    var matrix: QuantizedMatrix {
        QuantizedMatrix(type: self.type, rows: self.rows, columns: self.columns, data: UnsafeRawPointer(self.packed))
    }

    func release() { self.packed.deallocate() }

    /// `matmul` of the whole batch with `kernel`.
    func run(_ kernel: MatmulKernel, workspace: MatmulWorkspace, pool: ThreadPool) -> [Float] {
        var output = [Float](repeating: .nan, count: self.batch * self.rows)
        self.input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                matmul(self.matrix, input: input.baseAddress!, batch: self.batch, output: out.baseAddress!, workspace: workspace, pool: pool, kernel: kernel)
            }
        }
        return output
    }

    /// The largest |native − reference| / max(|reference|, 1) over the outputs.
    static func worstRelativeDifference(_ native: [Float], _ reference: [Float]) -> Float {
        var worst: Float = 0
        for index in reference.indices {
            worst = max(worst, abs(native[index] - reference[index]) / max(abs(reference[index]), 1))
        }
        return worst
    }

    /// Σ_k W[r,k]·x[b,k] in float64 over the stored weights, and the bound on the error that
    /// quantizing x to 8 bits may add: each x_k moves by at most half its block's step
    /// (absmax/127 over 32 values, or over 256 for Q8_K style), so
    /// |error| ≤ Σ_k |W[r,k]| · step_k / 2. Float32 accumulation adds ~1e-6 relative on top.
    func reference(row: Int, batchRow: Int) -> (value: Double, bound: Double) {
        let activationBlock: Int
        switch self.type {
        case .f32, .f16: activationBlock = 0
        case .q4_0, .q4_1, .q8_0: activationBlock = 32
        case .q4_K, .q6_K: activationBlock = 256
        }
        var value = 0.0, bound = 0.0, magnitude = 0.0
        var step = 0.0
        for k in 0..<self.columns {
            let w = Double(self.weights[row * self.columns + k])
            let x = Double(self.input[batchRow * self.columns + k])
            if activationBlock > 0, k % activationBlock == 0 {
                let start = batchRow * self.columns + k
                step = Double(self.input[start..<(start + activationBlock)].map(abs).max() ?? 0) / 127
            }
            value += w * x
            magnitude += abs(w * x)
            bound += abs(w) * step / 2
        }
        return (value, bound * 1.001 + magnitude * 1e-5)
    }
}

@Suite struct MatmulTests {
    static let shapes: [(QuantType, Int)] = QuantType.allCases.flatMap { type in
        [256, 576, 1536].filter { $0 % type.blockSize == 0 }.map { (type, $0) }
    }

    @Test(arguments: shapes, [1, 3, 4, 9, 16, 33])
    func matchesFloat64Reference(shape: (QuantType, Int), batch: Int) {
        let (type, columns) = shape
        let pool = ThreadPool(threadCount: 3)
        for rows in [37, 211] {
            let test = MatmulCase(type: type, rows: rows, columns: columns, batch: batch, seed: UInt64(rows * columns + batch))
            defer { test.release() }
            let workspace = MatmulWorkspace(maxColumns: columns, maxBatch: 16)
            var output = [Float](repeating: .nan, count: batch * rows)
            for kernel in MatmulKernel.allCases where kernel.isSupported {
                test.input.withUnsafeBufferPointer { input in
                    output.withUnsafeMutableBufferPointer { out in
                        matmul(test.matrix, input: input.baseAddress!, batch: batch, output: out.baseAddress!, workspace: workspace, pool: pool, kernel: kernel)
                    }
                }
                var failures = 0
                for b in 0..<batch {
                    for r in 0..<rows {
                        let (value, bound) = test.reference(row: r, batchRow: b)
                        if !(abs(Double(output[b * rows + r]) - value) <= bound) { failures += 1 }
                    }
                }
                #expect(failures == 0, "\(type) \(rows)x\(columns) batch \(batch) \(kernel): \(failures) outputs outside the bound")
            }
        }
    }

    /// The intrinsics compute the same integer products as the Swift reference; only the
    /// order of float additions differs.
    @Test(arguments: QuantType.allCases)
    func nativeKernelsAgreeWithSwift(type: QuantType) {
        let columns = 1536, rows = 133, batch = 7
        let test = MatmulCase(type: type, rows: rows, columns: columns, batch: batch, seed: 77 &+ UInt64(type.rawValue))
        defer { test.release() }
        let pool = ThreadPool(threadCount: 2)
        let workspace = MatmulWorkspace(maxColumns: columns, maxBatch: batch)
        let reference = test.run(.swift, workspace: workspace, pool: pool)
        for kernel in [MatmulKernel.avx2, .avx512VNNI] where kernel.isSupported {
            let worst = MatmulCase.worstRelativeDifference(test.run(kernel, workspace: workspace, pool: pool), reference)
            #expect(worst < 1e-4, "\(type) \(kernel): worst relative difference \(worst)")
        }
    }

    /// Every batch size from 1 to 33 against the Swift reference: below and above the tiled
    /// kernel's minimum, whole and partial groups of 8 activation rows, one and two groups per
    /// register tile, and (past the workspace's 20 rows) a tiled pass followed by a remainder
    /// that may take the row kernel. 37 rows over 2 threads leave chunks that are not whole
    /// tiles of weight rows.
    @Test(arguments: [QuantType.q4_0, .q4_1, .q8_0])
    func tiledKernelAgreesWithSwiftAtEveryBatch(type: QuantType) {
        let columns = 576, rows = 37, maxBatch = 20
        let pool = ThreadPool(threadCount: 2)
        let workspace = MatmulWorkspace(maxColumns: columns, maxBatch: maxBatch)
        var mismatches: [String] = []
        for batch in 1...33 {
            let test = MatmulCase(type: type, rows: rows, columns: columns, batch: batch, seed: 1000 &+ UInt64(batch))
            defer { test.release() }
            let reference = test.run(.swift, workspace: workspace, pool: pool)
            for kernel in [MatmulKernel.avx2, .avx512VNNI] where kernel.isSupported {
                let worst = MatmulCase.worstRelativeDifference(test.run(kernel, workspace: workspace, pool: pool), reference)
                if !(worst < 1e-4) { mismatches.append("batch \(batch) \(kernel): \(worst)") }
            }
        }
        #expect(mismatches.isEmpty, "\(type): worst relative differences \(mismatches)")
    }

    /// A batch larger than the workspace runs in tiles and gives the same result, to the bit:
    /// tiles of 11 and 5 rows both take the tiled kernel (padded to whole groups of 8), whose
    /// sums for one activation row do not depend on the rows beside it.
    @Test func batchLargerThanWorkspaceRunsInTiles() {
        let columns = 576, rows = 50, batch = 16
        let test = MatmulCase(type: .q4_1, rows: rows, columns: columns, batch: batch, seed: 5)
        defer { test.release() }
        let pool = ThreadPool(threadCount: 2)
        var whole = [Float](repeating: .nan, count: batch * rows)
        var tiled = [Float](repeating: .nan, count: batch * rows)
        test.input.withUnsafeBufferPointer { input in
            whole.withUnsafeMutableBufferPointer { out in
                matmul(test.matrix, input: input.baseAddress!, batch: batch, output: out.baseAddress!, workspace: MatmulWorkspace(maxColumns: columns, maxBatch: 16), pool: pool)
            }
            tiled.withUnsafeMutableBufferPointer { out in
                matmul(test.matrix, input: input.baseAddress!, batch: batch, output: out.baseAddress!, workspace: MatmulWorkspace(maxColumns: columns, maxBatch: 11), pool: pool)
            }
        }
        #expect(whole == tiled)
        #expect(!whole.contains { $0.isNaN })
    }

    /// Each activation row's outputs are the same to the bit alone (batch 1: the row kernel,
    /// blocks eight at a time and then one by one) as among 16 (the tiled kernel), for row
    /// lengths of 18 blocks (8 + 8 + 2) and 11 (8 + 3).
    @Test(arguments: [QuantType.q4_0, .q4_1, .q8_0])
    func rowKernelMatchesTheTiledKernelToTheBit(type: QuantType) {
        let pool = ThreadPool(threadCount: 2)
        for columns in [576, 352] {
            let rows = 21, batch = 16
            let test = MatmulCase(type: type, rows: rows, columns: columns, batch: batch, seed: 77 &+ UInt64(columns))
            defer { test.release() }
            let workspace = MatmulWorkspace(maxColumns: columns, maxBatch: batch)
            var batched = [Float](repeating: .nan, count: batch * rows)
            var alone = [Float](repeating: .nan, count: batch * rows)
            test.input.withUnsafeBufferPointer { input in
                batched.withUnsafeMutableBufferPointer { out in
                    matmul(test.matrix, input: input.baseAddress!, batch: batch, output: out.baseAddress!, workspace: workspace, pool: pool)
                }
                alone.withUnsafeMutableBufferPointer { out in
                    for row in 0..<batch {
                        matmul(
                            test.matrix, input: input.baseAddress! + row * columns, batch: 1,
                            output: out.baseAddress! + row * rows, workspace: workspace, pool: pool)
                    }
                }
            }
            let differing = zip(batched, alone).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(type), \(columns) columns: \(differing) of \(batched.count) outputs differ")
            #expect(!alone.contains { $0.isNaN })
        }
    }
}

@Suite struct ActivationQuantizationTests {
    /// The CKernels quantizers produce the Swift reference's bytes, scales and sums exactly.
    @Test(arguments: [QuantType.q8_0, .q6_K])
    func nativeQuantizerMatchesSwiftExactly(type: QuantType) {
        var random = TestRandom(seed: 99)
        let columns = 1536, batch = 3
        var input = random.values(columns * batch, scale: 5)
        // A block whose scale is exactly 1, with values on .5 ties: both must round to even.
        input[0] = 127
        input[1] = 0.5
        input[2] = 1.5
        input[3] = -2.5
        let pool = ThreadPool(threadCount: 2)
        let reference = MatmulWorkspace(maxColumns: columns, maxBatch: batch)
        reference.quantize(input, batch: batch, columns: columns, for: type, kernel: .swift, pool: pool)
        for kernel in [MatmulKernel.avx2, .avx512VNNI] where kernel.isSupported {
            let native = MatmulWorkspace(maxColumns: columns, maxBatch: batch)
            native.quantize(input, batch: batch, columns: columns, for: type, kernel: kernel, pool: pool)
            var mismatches = 0
            for index in 0..<(columns * batch) where native.quants[index] != reference.quants[index] { mismatches += 1 }
            for index in 0..<(columns * batch / 32) where native.scales[index] != reference.scales[index] { mismatches += 1 }
            if type == .q8_0 {
                for index in 0..<(columns * batch / 32) where native.sums[index] != reference.sums[index] { mismatches += 1 }
            } else {
                for index in 0..<(columns * batch / 16) where native.groupSums[index] != reference.groupSums[index] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(type) \(kernel)")
        }
    }
}
