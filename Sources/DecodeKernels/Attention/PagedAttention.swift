import Synchronization

/// Attention of a batch of query tokens over a paged, quantized KV cache, in one pass over
/// each sequence's blocks with an online softmax.
///
/// - `queries`: `tokens.count × queryHeads × headDim` Floats, token-major, head-major.
/// - `tokens[i]`: the block table and visible length of query token i (decode tokens and
///   causal prefill tokens of different sequences mix freely in one call).
/// - `output`: `tokens.count × queryHeads × headDim` Floats, same layout as `queries`.
///
/// Query head h reads KV head h / (queryHeads / kvHeads) (grouped-query attention). Scores
/// are scaled by 1/sqrt(headDim). Work is split over (token, KV head) pairs; all query heads
/// of one group are computed together so each KV block is read once per group, and each
/// block's elements are converted to Floats in registers, never into a dequantized copy.
/// When there are fewer than two pairs per thread (small decode batches), each pair is also
/// split along its positions and the parts' softmax states are merged. Nothing is allocated
/// once `workspace` has grown to the batch's shape.
/// Argument errors (shapes, visible lengths, block ids) are thrown before any work starts.
public func pagedAttention(
    queries: UnsafePointer<Float>,
    tokens: UnsafeBufferPointer<AttentionQuery>,
    cache: PagedKVCache,
    layer: Int,
    queryHeads: Int,
    output: UnsafeMutablePointer<Float>,
    workspace: AttentionWorkspace,
    pool: ThreadPool
) throws(KVCacheError) {
    try pagedAttention(
        queries: queries, tokens: tokens, cache: cache, layer: layer, queryHeads: queryHeads, output: output,
        workspace: workspace, pool: pool, native: nativeAttentionAvailable)
}

/// `pagedAttention` with the choice of loop: `native` runs int8 and fp16 through CKernels'
/// AVX-512 kernel, otherwise (and for fp8) the Swift loop, which the tests use as reference.
func pagedAttention(
    queries: UnsafePointer<Float>,
    tokens: UnsafeBufferPointer<AttentionQuery>,
    cache: PagedKVCache,
    layer: Int,
    queryHeads: Int,
    output: UnsafeMutablePointer<Float>,
    workspace: AttentionWorkspace,
    pool: ThreadPool,
    native: Bool
) throws(KVCacheError) {
    try validateAttention(tokens: tokens, cache: cache, layer: layer, queryHeads: queryHeads)
    guard cache.format.hasScales else {
        attend(queries: queries, tokens: tokens, cache: cache, layer: layer, queryHeads: queryHeads, output: output,
            workspace: workspace, pool: pool, native: native)
        return
    }
    // int8 and fp8 tiles hold rotated keys and values (`KVRotation`): rotated queries give the
    // same scores, and the output comes back rotated, so the same rotation undoes it.
    let count = tokens.count * queryHeads * cache.headDim
    let block = KVRotation.blockSize(headDim: cache.headDim)
    workspace.reserveRotatedQueries(count)
    let rotated = workspace.rotatedQueries
    rotated.update(from: queries, count: count)
    KVRotation.apply(rotated, count: count, block: block)
    attend(queries: rotated, tokens: tokens, cache: cache, layer: layer, queryHeads: queryHeads, output: output,
        workspace: workspace, pool: pool, native: native)
    KVRotation.apply(output, count: count, block: block)
}

/// `pagedAttention` after validation, over queries in the cache's (possibly rotated) space.
private func attend(
    queries: UnsafePointer<Float>,
    tokens: UnsafeBufferPointer<AttentionQuery>,
    cache: PagedKVCache,
    layer: Int,
    queryHeads: Int,
    output: UnsafeMutablePointer<Float>,
    workspace: AttentionWorkspace,
    pool: ThreadPool,
    native: Bool
) {
    let kvHeads = cache.kvHeads
    let groupSize = queryHeads / kvHeads
    let items = tokens.count * kvHeads
    guard items > 0 else { return }
    let size = PagedKVCache.tokensPerBlock
    let longestBlocks = tokens.reduce(0) { max($0, ($1.visibleLength + size - 1) / size) }
    let splits = attentionSplits(items: items, threads: pool.threadCount, longestBlocks: longestBlocks)
    let units = items * splits
    let threads = min(pool.threadCount, units)
    let headDim = cache.headDim
    workspace.reserve(threads: threads, floats: AttentionWorkspace.floatsPerThread(groupSize: groupSize, headDim: headDim))
    let partialFloats = groupSize * headDim + 2 * groupSize
    if splits > 1 { workspace.reservePartials(floats: units * partialFloats) }
    workspace.nextItem.store(0, ordering: .relaxed)
    let rowFloats = queryHeads * headDim
    let groupFloats = groupSize * headDim
    let partials = workspace.partials
    // Each parallel index is one thread slot; the slots then claim work units — a (token,
    // KV head) item, or one split of it — one at a time, so long and short sequences balance.
    pool.parallelFor(threads) { slot in
        let scratch = workspace.slot(slot)
        while true {
            let unit = workspace.nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            if unit >= units { return }
            let item = unit / splits
            let token = item / kvHeads
            let head = item % kvHeads
            let offset = token * rowFloats + head * groupFloats
            guard splits > 1 else {
                attendGroup(
                    query: tokens[token], queries: queries + offset, output: output + offset,
                    cache: cache, layer: layer, kvHead: head, groupSize: groupSize, scratch: scratch,
                    native: native)
                continue
            }
            // Split s of an item covers its own share of the item's blocks; its normalised
            // output, running maxima and sums are kept for the merge below.
            let query = tokens[token]
            let blocks = (query.visibleLength + size - 1) / size
            let share = (blocks + splits - 1) / splits
            let first = (unit % splits) * share
            let partial = partials + unit * partialFloats
            let partialMaxima = partial + groupFloats
            let partialSums = partialMaxima + groupSize
            guard first < blocks else {
                for index in 0..<groupSize {
                    partialMaxima[index] = -.infinity
                    partialSums[index] = 0
                }
                continue
            }
            let visible = min(query.visibleLength, (first + share) * size) - first * size
            let part = AttentionQuery(blocks: query.blocks + first, blockCount: blocks - first, visibleLength: visible)
            attendGroup(
                query: part, queries: queries + offset, output: partial,
                cache: cache, layer: layer, kvHead: head, groupSize: groupSize, scratch: scratch, native: native)
            let regions = AttentionGroupScratch(scratch, groupSize: groupSize, headDim: headDim)
            for index in 0..<groupSize {
                partialMaxima[index] = regions.maxima[index]
                partialSums[index] = regions.sums[index]
            }
        }
    }
    guard splits > 1 else { return }
    pool.parallelFor(items) { item in
        mergeSplits(
            partials + item * splits * partialFloats, count: splits, groupSize: groupSize, headDim: headDim,
            output: output + (item / kvHeads) * rowFloats + (item % kvHeads) * groupFloats)
    }
}

/// How many parts each (token, KV head) item is split into along its positions: 1 when there
/// are at least two items per thread, else enough parts for two per thread, each part at
/// least 4 blocks (64 positions) so the merge stays cheap next to the reading.
func attentionSplits(items: Int, threads: Int, longestBlocks: Int) -> Int {
    guard items < 2 * threads else { return 1 }
    let wanted = (2 * threads + items - 1) / items
    return max(1, min(wanted, longestBlocks / 4))
}

/// Combines an item's split results: each split's output was normalised by its own sum under
/// its own maximum (base 2), so split s counts with weight sum_s · 2^(max_s − max).
private func mergeSplits(
    _ partials: UnsafeMutablePointer<Float>, count: Int, groupSize: Int, headDim: Int,
    output: UnsafeMutablePointer<Float>
) {
    let groupFloats = groupSize * headDim
    let partialFloats = groupFloats + 2 * groupSize
    for head in 0..<groupSize {
        var maximum = -Float.infinity
        for split in 0..<count {
            let partial = partials + split * partialFloats
            if partial[groupFloats + groupSize + head] > 0 { maximum = max(maximum, partial[groupFloats + head]) }
        }
        let out = output + head * headDim
        for d in 0..<headDim { out[d] = 0 }
        var total: Float = 0
        for split in 0..<count {
            let partial = partials + split * partialFloats
            let sum = partial[groupFloats + groupSize + head]
            guard sum > 0 else { continue }
            let weight = sum * fastExp2(partial[groupFloats + head] - maximum)
            total += weight
            let values = partial + head * headDim
            for d in 0..<headDim { out[d] += weight * values[d] }
        }
        let inverse = 1 / total
        for d in 0..<headDim { out[d] *= inverse }
    }
}

/// Checks every shape, visible length and block id a `pagedAttention` call will use.
func validateAttention(
    tokens: UnsafeBufferPointer<AttentionQuery>, cache: PagedKVCache, layer: Int, queryHeads: Int
) throws(KVCacheError) {
    guard layer >= 0, layer < cache.layers else {
        throw .invalidArgument("layer \(layer) outside 0..<\(cache.layers)")
    }
    guard queryHeads > 0, queryHeads % cache.kvHeads == 0 else {
        throw .invalidArgument("\(queryHeads) query heads are not a multiple of \(cache.kvHeads) KV heads")
    }
    let size = PagedKVCache.tokensPerBlock
    for (index, query) in tokens.enumerated() {
        guard query.blockCount >= 0, query.visibleLength > 0, query.visibleLength <= query.blockCount * size else {
            throw .invalidArgument(
                "query \(index) sees \(query.visibleLength) positions through \(query.blockCount) blocks")
        }
        for position in stride(from: 0, to: query.visibleLength, by: size) {
            let block = query.blocks[position / size]
            guard block >= 0, Int(block) < cache.blockCount else { throw .unknownBlock(block) }
        }
    }
}
