/// Packs `count` floats into `type`'s ggml block layout at `destination`
/// (`type.rowBytes(elements: count)` bytes). Q4_0, Q4_1 and Q8_0 follow ggml's reference
/// quantizers; Q4_K and Q6_K use a plain max-based choice of scales (ggml searches for
/// better ones), which yields valid blocks for tests and tools but not llama.cpp's exact bytes.
public func quantizeRow(_ type: QuantType, _ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
    let blocks = count / type.blockSize
    switch type {
    case .f32:
        destination.assumingMemoryBound(to: Float.self).update(from: source, count: count)
    case .f16:
        for index in 0..<count { storeHalf(source[index], destination, 2 * index) }
    case .q4_0:
        for block in 0..<blocks { quantizeQ4_0Block(source + block * 32, into: destination + block * type.bytesPerBlock) }
    case .q4_1:
        for block in 0..<blocks { quantizeQ4_1Block(source + block * 32, into: destination + block * type.bytesPerBlock) }
    case .q8_0:
        for block in 0..<blocks { quantizeQ8_0Block(source + block * 32, into: destination + block * type.bytesPerBlock) }
    case .q4_K:
        for block in 0..<blocks { quantizeQ4KBlock(source + block * 256, into: destination + block * type.bytesPerBlock) }
    case .q6_K:
        for block in 0..<blocks { quantizeQ6KBlock(source + block * 256, into: destination + block * type.bytesPerBlock) }
    }
}

func quantizeQ8_0Block(_ x: UnsafePointer<Float>, into base: UnsafeMutableRawPointer) {
    var amax: Float = 0
    for index in 0..<32 { amax = max(amax, abs(x[index])) }
    let scale = amax / 127
    let inverse = scale != 0 ? 1 / scale : 0
    storeHalf(scale, base, 0)
    for index in 0..<32 {
        base.storeBytes(of: Int8(clamping: roundToInt(x[index] * inverse)), toByteOffset: 2 + index, as: Int8.self)
    }
}

func quantizeQ4_0Block(_ x: UnsafePointer<Float>, into base: UnsafeMutableRawPointer) {
    // The signed value of largest magnitude maps to -8, as in ggml's quantize_row_q4_0_ref.
    var amax: Float = 0
    var extreme: Float = 0
    for index in 0..<32 where abs(x[index]) > amax {
        amax = abs(x[index])
        extreme = x[index]
    }
    let scale = extreme / -8
    let inverse = scale != 0 ? 1 / scale : 0
    storeHalf(scale, base, 0)
    for index in 0..<16 {
        let q0 = min(15, Int(x[index] * inverse + 8.5))
        let q1 = min(15, Int(x[index + 16] * inverse + 8.5))
        base.storeBytes(of: UInt8(q0 | (q1 << 4)), toByteOffset: 2 + index, as: UInt8.self)
    }
}

func quantizeQ4_1Block(_ x: UnsafePointer<Float>, into base: UnsafeMutableRawPointer) {
    var low = x[0], high = x[0]
    for index in 1..<32 {
        low = min(low, x[index])
        high = max(high, x[index])
    }
    let scale = (high - low) / 15
    let inverse = scale != 0 ? 1 / scale : 0
    storeHalf(scale, base, 0)
    storeHalf(low, base, 2)
    for index in 0..<16 {
        let q0 = min(15, Int((x[index] - low) * inverse + 0.5))
        let q1 = min(15, Int((x[index + 16] - low) * inverse + 0.5))
        base.storeBytes(of: UInt8(q0 | (q1 << 4)), toByteOffset: 4 + index, as: UInt8.self)
    }
}

func quantizeQ4KBlock(_ x: UnsafePointer<Float>, into base: UnsafeMutableRawPointer) {
    // Per 32-value sub-block: value = scale * q - minimum, q in 0...15, minimum >= 0.
    var scales = [Float](repeating: 0, count: 8)
    var minimums = [Float](repeating: 0, count: 8)
    for sub in 0..<8 {
        var low: Float = 0, high: Float = 0
        for index in 0..<32 {
            low = min(low, x[sub * 32 + index])
            high = max(high, x[sub * 32 + index])
        }
        scales[sub] = (high - low) / 15
        minimums[sub] = -low
    }
    let superScale = (scales.max() ?? 0) / 63
    let superMin = (minimums.max() ?? 0) / 63
    storeHalf(superScale, base, 0)
    storeHalf(superMin, base, 2)
    // Quantize against the fp16-rounded super-scales the reader will see.
    let d = Float(Float16(superScale)), dmin = Float(Float16(superMin))
    var sc = [Int](repeating: 0, count: 8)
    var mn = [Int](repeating: 0, count: 8)
    for sub in 0..<8 {
        sc[sub] = d > 0 ? min(63, roundToInt(scales[sub] / d)) : 0
        mn[sub] = dmin > 0 ? min(63, roundToInt(minimums[sub] / dmin)) : 0
    }
    let packed = base + 4
    for index in 0..<4 {
        packed.storeBytes(of: UInt8(sc[index] | ((sc[index + 4] >> 4) << 6)), toByteOffset: index, as: UInt8.self)
        packed.storeBytes(of: UInt8(mn[index] | ((mn[index + 4] >> 4) << 6)), toByteOffset: index + 4, as: UInt8.self)
        packed.storeBytes(of: UInt8((sc[index + 4] & 0xF) | ((mn[index + 4] & 0xF) << 4)), toByteOffset: index + 8, as: UInt8.self)
    }
    for pair in 0..<4 {
        var q = [Int](repeating: 0, count: 64)
        for half in 0..<2 {
            let sub = 2 * pair + half
            let step = d * Float(sc[sub])
            let offset = dmin * Float(mn[sub])
            for index in 0..<32 {
                let value = x[sub * 32 + index]
                q[half * 32 + index] = step > 0 ? max(0, min(15, roundToInt((value + offset) / step))) : 0
            }
        }
        for index in 0..<32 {
            base.storeBytes(of: UInt8(q[index] | (q[index + 32] << 4)), toByteOffset: 16 + pair * 32 + index, as: UInt8.self)
        }
    }
}

func quantizeQ6KBlock(_ x: UnsafePointer<Float>, into base: UnsafeMutableRawPointer) {
    // Per 16-value group: value = d * scale * (q - 32), q in 0...63, scale an int8.
    var groupScales = [Float](repeating: 0, count: 16)
    for group in 0..<16 {
        var amax: Float = 0
        for index in 0..<16 { amax = max(amax, abs(x[group * 16 + index])) }
        groupScales[group] = amax / 31
    }
    let superScale = (groupScales.max() ?? 0) / 127
    storeHalf(superScale, base, 208)
    let d = Float(Float16(superScale))
    var q = [Int](repeating: 32, count: 256)
    for group in 0..<16 {
        let scale = d > 0 ? max(-128, min(127, roundToInt(groupScales[group] / d))) : 0
        base.storeBytes(of: Int8(scale), toByteOffset: 192 + group, as: Int8.self)
        let step = d * Float(scale)
        guard step > 0 else { continue }
        for index in 0..<16 {
            q[group * 16 + index] = max(0, min(63, roundToInt(x[group * 16 + index] / step) + 32))
        }
    }
    for half in 0..<2 {
        let y = half * 128
        for index in 0..<32 {
            let q1 = q[y + index], q2 = q[y + index + 32], q3 = q[y + index + 64], q4 = q[y + index + 96]
            base.storeBytes(of: UInt8((q1 & 0xF) | ((q3 & 0xF) << 4)), toByteOffset: half * 64 + index, as: UInt8.self)
            base.storeBytes(of: UInt8((q2 & 0xF) | ((q4 & 0xF) << 4)), toByteOffset: half * 64 + index + 32, as: UInt8.self)
            let high = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
            base.storeBytes(of: UInt8(high), toByteOffset: 128 + half * 32 + index, as: UInt8.self)
        }
    }
}
