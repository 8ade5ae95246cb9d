/// Expands `count` values stored as `type` at `source` into floats: ggml's block layouts, so
/// a GGUF row (or an embedding row) can be read directly. `count` must be a whole number of
/// the type's blocks; the caller checks it against the tensor's shape.
public func dequantizeRow(_ type: QuantType, _ source: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
    let blocks = count / type.blockSize
    switch type {
    case .f32:
        output.update(from: source.assumingMemoryBound(to: Float.self), count: count)
    case .f16:
        for index in 0..<count { output[index] = loadHalf(source, 2 * index) }
    case .q4_0:
        for block in 0..<blocks {
            let base = source + block * type.bytesPerBlock
            let scale = loadHalf(base, 0)
            let quants = base + 2
            let out = output + block * 32
            for index in 0..<16 {
                let byte = quants.load(fromByteOffset: index, as: UInt8.self)
                out[index] = scale * Float(Int(byte & 0xF) - 8)
                out[index + 16] = scale * Float(Int(byte >> 4) - 8)
            }
        }
    case .q4_1:
        for block in 0..<blocks {
            let base = source + block * type.bytesPerBlock
            let scale = loadHalf(base, 0)
            let minimum = loadHalf(base, 2)
            let quants = base + 4
            let out = output + block * 32
            for index in 0..<16 {
                let byte = quants.load(fromByteOffset: index, as: UInt8.self)
                out[index] = scale * Float(byte & 0xF) + minimum
                out[index + 16] = scale * Float(byte >> 4) + minimum
            }
        }
    case .q8_0:
        for block in 0..<blocks {
            let base = source + block * type.bytesPerBlock
            let scale = loadHalf(base, 0)
            let out = output + block * 32
            for index in 0..<32 {
                out[index] = scale * Float(base.load(fromByteOffset: 2 + index, as: Int8.self))
            }
        }
    case .q4_K:
        for block in 0..<blocks {
            dequantizeQ4KBlock(source + block * type.bytesPerBlock, into: output + block * 256)
        }
    case .q6_K:
        for block in 0..<blocks {
            dequantizeQ6KBlock(source + block * type.bytesPerBlock, into: output + block * 256)
        }
    }
}

/// The 6-bit scale and minimum of sub-block `index` (0..<8) of a Q4_K block, packed into
/// 12 bytes as ggml's `get_scale_min_k4` unpacks them.
@inline(__always)
func q4KScaleMin(_ index: Int, _ packed: UnsafeRawPointer) -> (scale: Int, minimum: Int) {
    func byte(_ offset: Int) -> Int { Int(packed.load(fromByteOffset: offset, as: UInt8.self)) }
    if index < 4 {
        return (byte(index) & 63, byte(index + 4) & 63)
    }
    let scale = (byte(index + 4) & 0xF) | ((byte(index - 4) >> 6) << 4)
    let minimum = (byte(index + 4) >> 4) | ((byte(index) >> 6) << 4)
    return (scale, minimum)
}

/// Q4_K: fp16 d, fp16 dmin, 12 bytes of packed 6-bit scales and minimums, 128 bytes of nibbles;
/// sub-block pairs share 32 bytes (low nibbles first sub-block, high nibbles the second).
func dequantizeQ4KBlock(_ base: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
    let scale = loadHalf(base, 0)
    let minScale = loadHalf(base, 2)
    let packed = base + 4
    let quants = base + 16
    for pair in 0..<4 {
        let low = q4KScaleMin(2 * pair, packed)
        let high = q4KScaleMin(2 * pair + 1, packed)
        let d1 = scale * Float(low.scale), m1 = minScale * Float(low.minimum)
        let d2 = scale * Float(high.scale), m2 = minScale * Float(high.minimum)
        for index in 0..<32 {
            let byte = quants.load(fromByteOffset: pair * 32 + index, as: UInt8.self)
            out[pair * 64 + index] = d1 * Float(byte & 0xF) - m1
            out[pair * 64 + 32 + index] = d2 * Float(byte >> 4) - m2
        }
    }
}

/// Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales (one per 16
/// values), fp16 d; two halves of 128 values each, laid out as ggml's `dequantize_row_q6_K`.
func dequantizeQ6KBlock(_ base: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>) {
    let scale = loadHalf(base, 208)
    for half in 0..<2 {
        let low = base + half * 64
        let high = base + 128 + half * 32
        let scales = base + 192 + half * 8
        let y = out + half * 128
        for index in 0..<32 {
            let group = index / 16
            let l0 = Int(low.load(fromByteOffset: index, as: UInt8.self))
            let l1 = Int(low.load(fromByteOffset: index + 32, as: UInt8.self))
            let h = Int(high.load(fromByteOffset: index, as: UInt8.self))
            let q1 = ((l0 & 0xF) | (((h >> 0) & 3) << 4)) - 32
            let q2 = ((l1 & 0xF) | (((h >> 2) & 3) << 4)) - 32
            let q3 = ((l0 >> 4) | (((h >> 4) & 3) << 4)) - 32
            let q4 = ((l1 >> 4) | (((h >> 6) & 3) << 4)) - 32
            func s(_ offset: Int) -> Float { Float(scales.load(fromByteOffset: group + offset, as: Int8.self)) }
            y[index] = scale * s(0) * Float(q1)
            y[index + 32] = scale * s(2) * Float(q2)
            y[index + 64] = scale * s(4) * Float(q3)
            y[index + 96] = scale * s(6) * Float(q4)
        }
    }
}
