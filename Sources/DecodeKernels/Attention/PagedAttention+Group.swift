/// One (token, KV head) item: the `groupSize` query heads that share `kvHead`, over the
/// query's visible positions, block by block. Scores are kept in base 2 (the queries are
/// pre-multiplied by log2(e) / sqrt(headDim)) so the softmax needs only `fastExp2`.
///
/// `scratch` holds one `AttentionGroupScratch`.
func attendGroup(
    query: AttentionQuery, queries: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    cache: PagedKVCache, layer: Int, kvHead: Int, groupSize: Int, scratch: UnsafeMutablePointer<Float>,
    native: Bool
) {
    switch cache.format {
    case .int8 where native, .fp16 where native:
        attendGroupNative(query, queries, output, cache, layer, kvHead, groupSize, scratch)
    case .int8:
        attendGroup(Int8Loader(), query, queries, output, cache, layer, kvHead, groupSize, scratch)
    case .fp8:
        attendGroup(FP8Loader(), query, queries, output, cache, layer, kvHead, groupSize, scratch)
    case .fp16:
        attendGroup(FP16Loader(), query, queries, output, cache, layer, kvHead, groupSize, scratch)
    }
}

@inline(__always)
private func attendGroup<Loader: KVElementLoader>(
    _ loader: Loader, _ query: AttentionQuery, _ queries: UnsafePointer<Float>,
    _ output: UnsafeMutablePointer<Float>, _ cache: PagedKVCache, _ layer: Int, _ kvHead: Int,
    _ groupSize: Int, _ scratch: UnsafeMutablePointer<Float>
) {
    let headDim = cache.headDim
    let size = PagedKVCache.tokensPerBlock
    let groupFloats = groupSize * headDim
    let regions = AttentionGroupScratch(scratch, groupSize: groupSize, headDim: headDim)
    let scaledQueries = regions.scaledQueries
    let accumulators = regions.accumulators
    let maxima = regions.maxima
    let sums = regions.sums
    let corrections = regions.corrections
    let weights = regions.weights

    let queryScale = 1.442_695_04 / Float(headDim).squareRoot()
    for index in 0..<groupFloats {
        scaledQueries[index] = queries[index] * queryScale
        accumulators[index] = 0
    }
    for head in 0..<groupSize {
        maxima[head] = -.infinity
        sums[head] = 0
    }

    let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    let blocks = (query.visibleLength + size - 1) / size
    for blockIndex in 0..<blocks {
        let filled = min(size, query.visibleLength - blockIndex * size)
        let tile = UnsafeRawPointer(cache.tile(layer: layer, block: Int(query.blocks[blockIndex]), head: kvHead))
        let values = tile + cache.valueOffset
        let keyScales: SIMD16<Float> =
            Loader.hasScales ? tile.load(fromByteOffset: cache.keyScaleOffset, as: SIMD16<Float>.self) : .one
        let valueScales: SIMD16<Float> =
            Loader.hasScales ? tile.load(fromByteOffset: cache.valueScaleOffset, as: SIMD16<Float>.self) : .one
        let hidden = lanes .>= Int32(filled)

        // Scores of all 16 slots for up to four heads at a time, then the softmax update.
        var head = 0
        while head < groupSize {
            let width = min(4, groupSize - head)
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            let q = scaledQueries + head * headDim
            switch width {
            case 4:
                for d in 0..<headDim {
                    let k = loader.load16(tile, d * size)
                    s0 += q[d] * k
                    s1 += q[headDim + d] * k
                    s2 += q[2 * headDim + d] * k
                    s3 += q[3 * headDim + d] * k
                }
            case 3:
                for d in 0..<headDim {
                    let k = loader.load16(tile, d * size)
                    s0 += q[d] * k
                    s1 += q[headDim + d] * k
                    s2 += q[2 * headDim + d] * k
                }
            case 2:
                for d in 0..<headDim {
                    let k = loader.load16(tile, d * size)
                    s0 += q[d] * k
                    s1 += q[headDim + d] * k
                }
            default:
                // One head: two accumulators over even and odd dimensions hide add latency.
                var t0 = SIMD16<Float>(), t1 = SIMD16<Float>()
                for d in stride(from: 0, to: headDim, by: 2) {
                    t0 += q[d] * loader.load16(tile, d * size)
                    t1 += q[d + 1] * loader.load16(tile, (d + 1) * size)
                }
                s0 = t0 + t1
            }
            // Quantized keys are stored relative to the block's anchor: its score part is added once.
            func scores(_ s: SIMD16<Float>, _ index: Int) -> SIMD16<Float> {
                guard Loader.hasScales else { return s }
                return s * keyScales + anchorScore(tile + cache.anchorOffset, q + index * headDim, headDim)
            }
            updateSoftmax(scores(s0, 0), head, hidden, valueScales, maxima, sums, corrections, weights)
            if width > 1 { updateSoftmax(scores(s1, 1), head + 1, hidden, valueScales, maxima, sums, corrections, weights) }
            if width > 2 { updateSoftmax(scores(s2, 2), head + 2, hidden, valueScales, maxima, sums, corrections, weights) }
            if width > 3 { updateSoftmax(scores(s3, 3), head + 3, hidden, valueScales, maxima, sums, corrections, weights) }
            head += width
        }

        // Accumulate the weighted value rows, 16 dimensions at a time, up to four heads at a time.
        head = 0
        while head < groupSize {
            let width = min(4, groupSize - head)
            let w = weights + head * size
            for chunk in stride(from: 0, to: headDim, by: 16) {
                let a = accumulators + head * headDim + chunk
                var a0 = UnsafeRawPointer(a).load(as: SIMD16<Float>.self) * corrections[head]
                var a1 = width > 1 ? UnsafeRawPointer(a + headDim).load(as: SIMD16<Float>.self) * corrections[head + 1] : .zero
                var a2 = width > 2 ? UnsafeRawPointer(a + 2 * headDim).load(as: SIMD16<Float>.self) * corrections[head + 2] : .zero
                var a3 = width > 3 ? UnsafeRawPointer(a + 3 * headDim).load(as: SIMD16<Float>.self) * corrections[head + 3] : .zero
                switch width {
                case 4:
                    for t in 0..<filled {
                        let v = loader.load16(values, t * headDim + chunk)
                        a0 += w[t] * v
                        a1 += w[size + t] * v
                        a2 += w[2 * size + t] * v
                        a3 += w[3 * size + t] * v
                    }
                case 3:
                    for t in 0..<filled {
                        let v = loader.load16(values, t * headDim + chunk)
                        a0 += w[t] * v
                        a1 += w[size + t] * v
                        a2 += w[2 * size + t] * v
                    }
                case 2:
                    for t in 0..<filled {
                        let v = loader.load16(values, t * headDim + chunk)
                        a0 += w[t] * v
                        a1 += w[size + t] * v
                    }
                default:
                    for t in 0..<filled {
                        a0 += w[t] * loader.load16(values, t * headDim + chunk)
                    }
                }
                UnsafeMutableRawPointer(a).storeBytes(of: a0, as: SIMD16<Float>.self)
                if width > 1 { UnsafeMutableRawPointer(a + headDim).storeBytes(of: a1, as: SIMD16<Float>.self) }
                if width > 2 { UnsafeMutableRawPointer(a + 2 * headDim).storeBytes(of: a2, as: SIMD16<Float>.self) }
                if width > 3 { UnsafeMutableRawPointer(a + 3 * headDim).storeBytes(of: a3, as: SIMD16<Float>.self) }
            }
            head += width
        }
    }

    for head in 0..<groupSize {
        // sums > 0: the running maximum's own slot contributes 2^0 = 1.
        let inverse = 1 / sums[head]
        for d in 0..<headDim {
            output[head * headDim + d] = accumulators[head * headDim + d] * inverse
        }
    }
}

/// q·anchor for one head: the part of every score of a block that its key anchor (`headDim`
/// halves at `anchor`) contributes.
@inline(__always)
private func anchorScore(_ anchor: UnsafeRawPointer, _ q: UnsafePointer<Float>, _ headDim: Int) -> Float {
    var total = SIMD16<Float>()
    for chunk in stride(from: 0, to: headDim, by: 16) {
        let a = HalfFloat.decode(anchor.loadUnaligned(fromByteOffset: 2 * chunk, as: SIMD16<UInt16>.self))
        total += UnsafeRawPointer(q + chunk).loadUnaligned(as: SIMD16<Float>.self) * a
    }
    return total.sum()
}

/// The online-softmax step for one head and one block: new running maximum, the factor that
/// rescales what was accumulated so far, the running sum, and the block's weights (with the
/// value scales folded in) for the value pass. Hidden slots get weight 0.
@inline(__always)
private func updateSoftmax(
    _ scores: SIMD16<Float>, _ head: Int, _ hidden: SIMDMask<SIMD16<Int32>>, _ valueScales: SIMD16<Float>,
    _ maxima: UnsafeMutablePointer<Float>, _ sums: UnsafeMutablePointer<Float>,
    _ corrections: UnsafeMutablePointer<Float>, _ weights: UnsafeMutablePointer<Float>
) {
    let visible = scores.replacing(with: -.infinity, where: hidden)
    let previous = maxima[head]
    let maximum = max(previous, visible.max())
    let correction = previous == -.infinity ? 0 : fastExp2(previous - maximum)
    let p = fastExp2(visible - maximum).replacing(with: 0, where: hidden)
    sums[head] = sums[head] * correction + p.sum()
    maxima[head] = maximum
    corrections[head] = correction
    UnsafeMutableRawPointer(weights + head * PagedKVCache.tokensPerBlock)
        .storeBytes(of: p * valueScales, as: SIMD16<Float>.self)
}
