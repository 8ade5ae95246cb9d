@testable import DecodeKernels
import Glibc
import Testing

@Suite struct KVCacheFormatTests {
    @Test func fp8TableFollowsE4M3() {
        #expect(FP8E4M3.decode(0x7E) == 448)
        #expect(FP8E4M3.decode(0xFE) == -448)
        #expect(FP8E4M3.decode(0x7F).isNaN && FP8E4M3.decode(0xFF).isNaN)
        #expect(FP8E4M3.decode(0x01) == 0x1p-9)
        #expect(FP8E4M3.decode(0x08) == 0x1p-6)
        #expect(FP8E4M3.decode(0x38) == 1)
        #expect(FP8E4M3.decode(0x39) == 1.125)
    }

    @Test func fp8EncodeRoundTripsEveryFiniteCode() {
        for code in 0..<256 where code & 0x7F != 0x7F {
            #expect(FP8E4M3.encode(FP8E4M3.decode(UInt8(code))) == UInt8(code))
        }
    }

    @Test func fp8EncodeIsNearestTiesToEvenAndSaturates() {
        var random = SplitMix64(seed: 11)
        let finite = (0..<256).filter { $0 & 0x7F != 0x7F }.map { UInt8($0) }
        for _ in 0..<5000 {
            let value = random.nextFloat(in: -500...500) * (random.nextFloat(in: 0...1) < 0.3 ? 0.001 : 1)
            let code = FP8E4M3.encode(value)
            let error = abs(FP8E4M3.decode(code) - min(max(value, -448), 448))
            let best = finite.map { abs(FP8E4M3.decode($0) - value) }.min() ?? 0
            #expect(error <= best)
        }
        // 1.0625 lies halfway between 1 (even mantissa) and 1.125.
        #expect(FP8E4M3.encode(1.0625) == 0x38)
        #expect(FP8E4M3.encode(1.1875) == 0x3A)
        #expect(FP8E4M3.encode(1e6) == 0x7E && FP8E4M3.encode(-.infinity) == 0xFE)
        #expect(FP8E4M3.encode(.nan) & 0x7F == 0x7F)
    }

    @Test func halfDecodeMatchesFloat16() {
        var random = SplitMix64(seed: 5)
        for _ in 0..<200 {
            var bits = SIMD16<UInt16>()
            for lane in 0..<16 {
                var half = UInt16(truncatingIfNeeded: random.next())
                if half & 0x7C00 == 0x7C00 { half &= 0x83FF }  // finite halves only
                bits[lane] = half
            }
            let decoded = HalfFloat.decode(bits)
            for lane in 0..<16 {
                #expect(decoded[lane] == Float(Float16(bitPattern: bits[lane])))
            }
        }
        #expect(HalfFloat.encode(1e9) == Float16(65504).bitPattern)
    }

    @Test func fastExp2IsAccurate() {
        for step in 0...2000 {
            let x = -Float(step) * 0.05
            let exact = Float(exp2(Double(x)))
            #expect(abs(fastExp2(x) - exact) <= 3e-7 * exact + 1e-37)
        }
    }

    /// int8 and fp8 store each row rotated by `KVRotation` (orthonormal), so the rounding
    /// bound holds per element in the rotated basis and, after rotating back, for the row's
    /// Euclidean error: within √headDim half-steps of the rotated row's absmax (int8), within
    /// 1/16 of the row's norm (fp8's relative rounding) plus its subnormal floor. fp16 is
    /// stored as is and keeps the per-element bound.
    @Test func storedValuesAreWithinHalfAQuantizationStep() throws {
        var random = SplitMix64(seed: 3)
        let headDim = 32
        for format in KVCacheFormat.allCases {
            let cache = try PagedKVCache(layers: 2, kvHeads: 2, headDim: headDim, blockCount: 3, format: format)
            let keys = (0..<(2 * headDim)).map { _ in random.nextFloat(in: -3...3) }
            let values = (0..<(2 * headDim)).map { _ in random.nextFloat(in: -0.5...0.5) }
            try cache.write(layer: 1, block: 2, slot: 7, keys: keys, values: values)
            for head in 0..<2 {
                let row = head * headDim..<(head + 1) * headDim
                for (isKey, source) in [(true, keys), (false, values)] {
                    var rotated = Array(source[row])
                    rotated.withUnsafeMutableBufferPointer {
                        KVRotation.apply($0.baseAddress!, count: headDim, block: KVRotation.blockSize(headDim: headDim))
                    }
                    let rotatedAbsmax = rotated.map(abs).max() ?? 0
                    let norm = rotated.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    var squaredError: Float = 0
                    for d in 0..<headDim {
                        let stored = try cache.storedValue(
                            layer: 1, block: 2, slot: 7, head: head, dimension: d, isKey: isKey)
                        let original = source[row.lowerBound + d]
                        squaredError += (stored - original) * (stored - original)
                        if format == .fp16 {
                            #expect(abs(stored - original) <= abs(original) * 0x1p-11 + 1e-7, "\(isKey) \(d)")
                        }
                    }
                    let error = squaredError.squareRoot()
                    switch format {
                    case .int8:
                        #expect(error <= Float(headDim).squareRoot() * rotatedAbsmax / 254 * 1.001, "int8 \(isKey)")
                    case .fp8:
                        let floor = Float(headDim).squareRoot() * rotatedAbsmax / 448 * 0x1p-10
                        #expect(error <= (norm / 16 + floor) * 1.001, "fp8 \(isKey)")
                    case .fp16:
                        break
                    }
                    #expect(error > 0 || format == .fp16 || rotatedAbsmax == 0)
                }
            }
        }
    }

    /// The rotation is orthonormal and its own inverse.
    @Test func rotationPreservesDotProductsAndUndoesItself() {
        var random = SplitMix64(seed: 11)
        for headDim in [16, 64, 80, 128] {
            let block = KVRotation.blockSize(headDim: headDim)
            #expect(headDim % block == 0 && block >= 16)
            var a = (0..<headDim).map { _ in random.nextFloat(in: -2...2) }
            var b = (0..<headDim).map { _ in random.nextFloat(in: -2...2) }
            let original = a
            let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
            a.withUnsafeMutableBufferPointer { KVRotation.apply($0.baseAddress!, count: headDim, block: block) }
            b.withUnsafeMutableBufferPointer { KVRotation.apply($0.baseAddress!, count: headDim, block: block) }
            #expect(abs(zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } - dot) <= 1e-4 * (abs(dot) + 1))
            #expect(a != original)
            a.withUnsafeMutableBufferPointer { KVRotation.apply($0.baseAddress!, count: headDim, block: block) }
            for i in 0..<headDim { #expect(abs(a[i] - original[i]) <= 1e-5) }
        }
    }

    @Test func cacheSizesAndCopies() throws {
        let int8 = try PagedKVCache(layers: 30, kvHeads: 3, headDim: 64, blockCount: 4)
        #expect(int8.format == .int8)
        // Keys and values with a Float scale each, and a 16th of the block's 64-half key anchor.
        #expect(int8.bytesPerToken == 30 * 3 * (2 * (64 + 4) + 8))
        #expect(int8.totalBytes >= int8.bytesPerToken * 16 * 4)
        let fp16 = try PagedKVCache(layers: 30, kvHeads: 3, headDim: 64, blockCount: 4, format: .fp16)
        #expect(fp16.bytesPerToken == 30 * 3 * 2 * 128)

        let cache = try PagedKVCache(layers: 2, kvHeads: 1, headDim: 16, blockCount: 2, format: .fp8)
        let row = (0..<16).map { Float($0) - 7.5 }
        try cache.write(layer: 1, block: 0, slot: 3, keys: row, values: row)
        try cache.copyBlock(from: 0, to: 1)
        for d in 0..<16 {
            let original = try cache.storedValue(layer: 1, block: 0, slot: 3, head: 0, dimension: d, isKey: false)
            #expect(try cache.storedValue(layer: 1, block: 1, slot: 3, head: 0, dimension: d, isKey: false) == original)
        }
    }

    /// A block's slot 0 sets its key anchor; later keys of the block — in a copy of it too, as
    /// a copy-on-write append writes them — are stored relative to it, so keys that share a
    /// large common part keep the rounding of what differs between them.
    @Test(arguments: [KVCacheFormat.int8, .fp8])
    func laterKeysOfABlockAreStoredRelativeToItsFirst(format: KVCacheFormat) throws {
        let headDim = 64
        let cache = try PagedKVCache(layers: 1, kvHeads: 1, headDim: headDim, blockCount: 2, format: format)
        var random = SplitMix64(seed: 9)
        let common = (0..<headDim).map { _ in random.nextFloat(in: -20...20) }
        func key() -> [Float] { common.map { $0 + random.nextFloat(in: -0.5...0.5) } }
        let first = key(), second = key(), third = key()
        try cache.write(layer: 0, block: 0, slot: 0, keys: first, values: first)
        try cache.write(layer: 0, block: 0, slot: 1, keys: second, values: second)
        try cache.copyBlock(from: 0, to: 1)
        try cache.write(layer: 0, block: 1, slot: 2, keys: third, values: third)
        // The residuals are within ±1 of each other before the rotation, |r| <= 8 after it:
        // int8 rounds them to 8/254, fp8 to 1/16 of 8, the anchor to fp16 (1/2048 of ~40).
        let bound: Float = format == .int8 ? 0.06 : 0.6
        for (block, slot, written) in [(Int32(0), 0, first), (0, 1, second), (1, 1, second), (1, 2, third)] {
            for d in 0..<headDim {
                let stored = try cache.storedValue(layer: 0, block: block, slot: slot, head: 0, dimension: d, isKey: true)
                #expect(abs(stored - written[d]) <= bound, "\(format) block \(block) slot \(slot) dimension \(d)")
            }
        }
    }

    @Test func badArgumentsAreThrownErrors() throws {
        #expect(throws: KVCacheError.self) { try PagedKVCache(layers: 1, kvHeads: 1, headDim: 40, blockCount: 1) }
        #expect(throws: KVCacheError.self) { try PagedKVCache(layers: 0, kvHeads: 1, headDim: 64, blockCount: 1) }
        #expect(throws: KVCacheError.self) {
            try PagedKVCache(layers: 1 << 20, kvHeads: 1 << 20, headDim: 1 << 20, blockCount: 1 << 20)
        }
        let cache = try PagedKVCache(layers: 1, kvHeads: 1, headDim: 16, blockCount: 2)
        let row = [Float](repeating: 1, count: 16)
        #expect(throws: KVCacheError.unknownBlock(2)) { try cache.write(layer: 0, block: 2, slot: 0, keys: row, values: row) }
        #expect(throws: KVCacheError.self) { try cache.write(layer: 1, block: 0, slot: 0, keys: row, values: row) }
        #expect(throws: KVCacheError.self) { try cache.write(layer: 0, block: 0, slot: 16, keys: row, values: row) }
        #expect(throws: KVCacheError.unknownBlock(-1)) { try cache.copyBlock(from: -1, to: 0) }
        // A NaN is stored as a finite value, never a trap.
        try cache.write(layer: 0, block: 0, slot: 0, keys: [.nan] + row.dropFirst(), values: row)
        #expect(try cache.storedValue(layer: 0, block: 0, slot: 0, head: 0, dimension: 0, isKey: true) == 0)
    }
}
