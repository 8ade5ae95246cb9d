/// Preallocated scratch for `matmul`: the activation rows quantized to 8 bits once per call.
/// Per activation row: `columns` int8 values; a float scale per 32 values (Q8_0 style; in
/// Q8_K style only the first `columns / 256` slots are used, one per 256); the float
/// `scale · Σq` per 32 values (for Q4_0's offset and Q4_1's minimum); the integer Σq per 16
/// values (for Q4_K's minimums and Q6_K's offset).
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

    /// Room for `maxBatch` activation rows of up to `maxColumns` values (rounded up to 256).
    public init(maxColumns: Int, maxBatch: Int) {
        self.maxColumns = (max(1, maxColumns) + 255) / 256 * 256
        self.maxBatch = max(1, maxBatch)
        let values = self.maxColumns * self.maxBatch
        self.quants = Self.allocate(Int8.self, values)
        self.scales = Self.allocate(Float.self, values / 32)
        self.sums = Self.allocate(Float.self, values / 32)
        self.groupSums = Self.allocate(Int32.self, values / 16)
    }

    deinit {
        self.quants.deallocate()
        self.scales.deallocate()
        self.sums.deallocate()
        self.groupSums.deallocate()
    }

    private static func allocate<T: BitwiseCopyable>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<T>.stride, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<T>.stride)
        return raw.assumingMemoryBound(to: T.self)
    }

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
                let quant = roundToInt(values[index] * inverse)
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
                    let quant = roundToInt(values[index] * inverse)
                    q[block * 256 + index] = Int8(truncatingIfNeeded: quant)
                    total += Int32(quant)
                }
                g[block * 16 + group] = total
            }
            d[block] = scale
        }
    }
}
