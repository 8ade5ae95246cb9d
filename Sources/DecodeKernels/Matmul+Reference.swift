/// The portable matmul: the same integer arithmetic as the CKernels paths, in plain Swift.
/// It runs where the CPU lacks AVX2 and is what the tests compare the intrinsics against.
func referenceMatmulRows(
    _ weights: QuantizedMatrix, _ rows: Range<Int>, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, workspace: MatmulWorkspace
) {
    let columns = weights.columns
    for row in rows {
        let w = weights.data + row * weights.rowBytes
        for b in 0..<batch {
            let value: Float
            switch weights.type {
            case .f32: value = dotF32(w.assumingMemoryBound(to: Float.self), input + b * columns, columns)
            case .f16: value = dotF16(w, input + b * columns, columns)
            case .q4_0, .q4_1, .q8_0: value = dotBlocks32(weights.type, w, workspace, row: b, columns: columns)
            case .q4_K: value = dotQ4K(w, workspace, row: b, columns: columns)
            case .q6_K: value = dotQ6K(w, workspace, row: b, columns: columns)
            }
            output[b * weights.rows + row] = value
        }
    }
}

private func dotF32(_ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc0 = SIMD4<Float>(), acc1 = SIMD4<Float>()
    var index = 0
    while index + 8 <= count {
        let w0 = SIMD4(w[index], w[index + 1], w[index + 2], w[index + 3])
        let x0 = SIMD4(x[index], x[index + 1], x[index + 2], x[index + 3])
        let w1 = SIMD4(w[index + 4], w[index + 5], w[index + 6], w[index + 7])
        let x1 = SIMD4(x[index + 4], x[index + 5], x[index + 6], x[index + 7])
        acc0 += w0 * x0
        acc1 += w1 * x1
        index += 8
    }
    var total = (acc0 + acc1).sum()
    while index < count {
        total += w[index] * x[index]
        index += 1
    }
    return total
}

private func dotF16(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var total: Float = 0
    for index in 0..<count { total += loadHalf(w, 2 * index) * x[index] }
    return total
}

/// Q4_0 / Q4_1 / Q8_0 weights × Q8_0-style activations.
private func dotBlocks32(_ type: QuantType, _ w: UnsafeRawPointer, _ workspace: MatmulWorkspace, row: Int, columns: Int) -> Float {
    let blocks = columns / 32
    let q = workspace.quants + row * columns
    let scales = workspace.scales + row * blocks
    let sums = workspace.sums + row * blocks
    var total: Float = 0
    for block in 0..<blocks {
        let base = w + block * type.bytesPerBlock
        let a = q + block * 32
        let d = loadHalf(base, 0)
        var dot: Int32 = 0
        switch type {
        case .q8_0:
            for index in 0..<32 { dot &+= Int32(base.load(fromByteOffset: 2 + index, as: Int8.self)) &* Int32(a[index]) }
            total += d * scales[block] * Float(dot)
        case .q4_0, .q4_1:
            let nibbles = base + (type == .q4_0 ? 2 : 4)
            for index in 0..<16 {
                let byte = nibbles.load(fromByteOffset: index, as: UInt8.self)
                dot &+= Int32(byte & 0xF) &* Int32(a[index]) &+ Int32(byte >> 4) &* Int32(a[index + 16])
            }
            total += d * scales[block] * Float(dot)
            // Q4_0 stores q + 8; Q4_1 adds its minimum to every value.
            total += type == .q4_0 ? -8 * d * sums[block] : loadHalf(base, 2) * sums[block]
        default:
            break
        }
    }
    return total
}

private func dotQ4K(_ w: UnsafeRawPointer, _ workspace: MatmulWorkspace, row: Int, columns: Int) -> Float {
    let q = workspace.quants + row * columns
    let scales = workspace.scales + row * (columns / 32)
    let groupSums = workspace.groupSums + row * (columns / 16)
    var total: Float = 0
    for block in 0..<(columns / 256) {
        let base = w + block * QuantType.q4_K.bytesPerBlock
        let d = loadHalf(base, 0), dmin = loadHalf(base, 2)
        let a = q + block * 256
        let g = groupSums + block * 16
        var scaled: Int32 = 0
        var mins: Int32 = 0
        for sub in 0..<8 {
            let (scale, minimum) = q4KScaleMin(sub, base + 4)
            let nibbles = base + 16 + (sub / 2) * 32
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            var dot: Int32 = 0
            for index in 0..<32 {
                let value = (nibbles.load(fromByteOffset: index, as: UInt8.self) >> shift) & 0xF
                dot &+= Int32(value) &* Int32(a[sub * 32 + index])
            }
            scaled &+= Int32(scale) &* dot
            mins &+= Int32(minimum) &* (g[2 * sub] &+ g[2 * sub + 1])
        }
        total += d * scales[block] * Float(scaled) - dmin * scales[block] * Float(mins)
    }
    return total
}

private func dotQ6K(_ w: UnsafeRawPointer, _ workspace: MatmulWorkspace, row: Int, columns: Int) -> Float {
    let q = workspace.quants + row * columns
    let scales = workspace.scales + row * (columns / 32)
    let groupSums = workspace.groupSums + row * (columns / 16)
    var total: Float = 0
    for block in 0..<(columns / 256) {
        let base = w + block * QuantType.q6_K.bytesPerBlock
        let d = loadHalf(base, 208)
        let a = q + block * 256
        let g = groupSums + block * 16
        var scaled: Int32 = 0
        for half in 0..<2 {
            let low = base + half * 64
            let high = base + 128 + half * 32
            for chunk in 0..<4 {
                // Chunk c holds values 128·half + 32·c ..< +32: low nibble of ql[0..<32] or
                // ql[32..<64] (c even/odd within the pair), high 2 bits at qh bits 2c.
                let lowBase = low + (chunk % 2) * 32
                let lowShift: UInt8 = chunk < 2 ? 0 : 4
                let highShift = UInt8(2 * chunk)
                for part in 0..<2 {
                    let group = half * 8 + chunk * 2 + part
                    let scale = Int32(base.load(fromByteOffset: 192 + group, as: Int8.self))
                    var dot: Int32 = 0
                    for index in (part * 16)..<(part * 16 + 16) {
                        let l = (lowBase.load(fromByteOffset: index, as: UInt8.self) >> lowShift) & 0xF
                        let h = (high.load(fromByteOffset: index, as: UInt8.self) >> highShift) & 3
                        dot &+= Int32(l | (h << 4)) &* Int32(a[half * 128 + chunk * 32 + index])
                    }
                    scaled &+= scale &* (dot &- 32 &* g[group])
                }
            }
        }
        total += d * scales[block] * Float(scaled)
    }
    return total
}
