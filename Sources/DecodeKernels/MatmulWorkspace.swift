import CKernels

/// Preallocated scratch for `matmul`: the activation rows quantized to 8 bits once per call.
/// Per activation row: `columns` int8 values; a float scale per 32 values (Q8_0 style; in
/// Q8_K style only the first `columns / 256` slots are used, one per 256); the float
/// `scale · Σq` per 32 values (for Q4_0's offset and Q4_1's minimum); the integer Σq per 16
/// values (for Q4_K's minimums and Q6_K's offset). For the tiled kernel, the same
/// quantization interleaved in groups of rows (`tiled`).
///
/// `@unchecked Sendable`: one `matmul` call at a time uses a workspace; within a call, the
/// quantization step writes row b's slices only from the task handling row b, and the dot
/// products only read them after `parallelFor` has returned.
public final class MatmulWorkspace: @unchecked Sendable {
    public let maxColumns: Int
    public let maxBatch: Int
    let quants: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let groupSums: UnsafeMutablePointer<Int32>
    /// The activation rows in CKernels' tiled layout (`ck_tiled_acts`), for the register-tiled
    /// Q4_0 / Q4_1 / Q8_0 kernel: groups of `ck_tiled_group` rows interleaved 4 bytes at a
    /// time, the last group padded with zero rows.
    let tiled: ck_tiled_acts

    /// Room for `maxBatch` activation rows of up to `maxColumns` values (rounded up to 256).
    public init(maxColumns: Int, maxBatch: Int) {
        self.maxColumns = (max(1, maxColumns) + 255) / 256 * 256
        self.maxBatch = max(1, maxBatch)
        let values = self.maxColumns * self.maxBatch
        self.quants = Self.allocate(Int8.self, values)
        self.scales = Self.allocate(Float.self, values / 32)
        self.sums = Self.allocate(Float.self, values / 32)
        self.groupSums = Self.allocate(Int32.self, values / 16)
        let tiledValues = self.maxColumns * Self.paddedBatch(self.maxBatch)
        self.tiled = ck_tiled_acts(
            quants: Self.allocate(Int8.self, tiledValues), scales: Self.allocate(Float.self, tiledValues / 32),
            sums: Self.allocate(Float.self, tiledValues / 32), qsums: Self.allocate(Int32.self, tiledValues / 32))
    }

    /// Activation rows per group of the tiled layout.
    static let tileGroup = Int(CK_TILE_GROUP)

    /// `batch` rounded up to whole groups of the tiled layout.
    static func paddedBatch(_ batch: Int) -> Int {
        (batch + tileGroup - 1) / tileGroup * tileGroup
    }

    deinit {
        self.quants.deallocate()
        self.scales.deallocate()
        self.sums.deallocate()
        self.groupSums.deallocate()
        self.tiled.quants.deallocate()
        self.tiled.scales.deallocate()
        self.tiled.sums.deallocate()
        self.tiled.qsums.deallocate()
    }

    private static func allocate<T: BitwiseCopyable>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<T>.stride, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
        return raw.assumingMemoryBound(to: T.self)
    }

    /// Quantizes `batch` activation rows of `columns` values in the style `type`'s weights
    /// need (nothing for F32 and F16), with the CKernels quantizer unless `kernel` is `swift`.
    func quantize(_ input: UnsafePointer<Float>, batch: Int, columns: Int, for type: QuantType, kernel: MatmulKernel, pool: ThreadPool) {
        let isa: ck_isa = kernel == .avx512VNNI ? CK_ISA_AVX512VNNI : CK_ISA_AVX2
        switch type {
        case .q4_0, .q4_1, .q8_0:
            pool.parallelFor(batch) { b in
                if kernel == .swift {
                    self.quantizeBlocks32(input + b * columns, row: b, columns: columns)
                } else {
                    let blocks = columns / 32
                    ck_quantize_blocks32(
                        input + b * columns, Int32(columns), self.quants + b * columns,
                        self.scales + b * blocks, self.sums + b * blocks, isa)
                }
            }
        case .q4_K, .q6_K:
            pool.parallelFor(batch) { b in
                if kernel == .swift {
                    self.quantizeBlocks256(input + b * columns, row: b, columns: columns)
                } else {
                    ck_quantize_blocks256(
                        input + b * columns, Int32(columns), self.quants + b * columns,
                        self.scales + b * (columns / 32), self.groupSums + b * (columns / 16), isa)
                }
            }
        case .f32, .f16:
            break
        }
    }

    /// Quantizes `batch` activation rows of `columns` values as `quantize` does for Q4_0, Q4_1
    /// and Q8_0 weights, but into the tiled layout (zero rows pad the last group), for the
    /// CKernels tiled kernel.
    func quantizeTiled(_ input: UnsafePointer<Float>, batch: Int, columns: Int, kernel: MatmulKernel, pool: ThreadPool) {
        let isa: ck_isa = kernel == .avx512VNNI ? CK_ISA_AVX512VNNI : CK_ISA_AVX2
        pool.parallelFor(Self.paddedBatch(batch)) { b in
            withUnsafePointer(to: self.tiled) { tiled in
                ck_quantize_blocks32_tiled(b < batch ? input + b * columns : nil, Int32(columns), Int32(b), tiled, isa)
            }
        }
    }

    // Activations round to nearest even, as the CKernels quantizers (and ggml's AVX2 code) do,
    // so both paths see identical 8-bit activations.

    /// Activation row `row` of a call with `columns` values per row, as Q8_0-style blocks of 32.
    func quantizeBlocks32(_ x: UnsafePointer<Float>, row: Int, columns: Int) {
        let q = self.quants + row * columns
        let blocks = columns / 32
        let d = self.scales + row * blocks
        let s = self.sums + row * blocks
        for block in 0..<blocks {
            let values = x + block * 32
            var amax: Float = 0
            for index in 0..<32 { amax = max(amax, abs(values[index])) }
            let scale = amax / 127
            let inverse = scale != 0 ? 1 / scale : 0
            var total = 0
            for index in 0..<32 {
                let quant = Int((values[index] * inverse).rounded(.toNearestOrEven))
                q[block * 32 + index] = Int8(truncatingIfNeeded: quant)
                total += quant
            }
            d[block] = scale
            s[block] = scale * Float(total)
        }
    }

    /// Activation row `row` as Q8_K-style blocks of 256 with integer sums per 16.
    func quantizeBlocks256(_ x: UnsafePointer<Float>, row: Int, columns: Int) {
        let q = self.quants + row * columns
        let d = self.scales + row * (columns / 32)
        let g = self.groupSums + row * (columns / 16)
        for block in 0..<(columns / 256) {
            let values = x + block * 256
            var amax: Float = 0
            for index in 0..<256 { amax = max(amax, abs(values[index])) }
            let scale = amax / 127
            let inverse = scale != 0 ? 1 / scale : 0
            for group in 0..<16 {
                var total: Int32 = 0
                for index in (group * 16)..<(group * 16 + 16) {
                    let quant = Int((values[index] * inverse).rounded(.toNearestOrEven))
                    q[block * 256 + index] = Int8(truncatingIfNeeded: quant)
                    total += Int32(quant)
                }
                g[block * 16 + group] = total
            }
            d[block] = scale
        }
    }
}
