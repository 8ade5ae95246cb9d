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
    let threads = min(pool.threadCount, items)
    workspace.reserve(
        threads: threads,
        floats: AttentionWorkspace.floatsPerThread(groupSize: groupSize, headDim: cache.headDim))
    workspace.nextItem.store(0, ordering: .relaxed)
    let rowFloats = queryHeads * cache.headDim
    let groupFloats = groupSize * cache.headDim
    // Each parallel index is one thread slot; the slots then claim (token, KV head) items one
    // at a time, so long and short sequences balance across threads.
    pool.parallelFor(threads) { slot in
        let scratch = workspace.slot(slot)
        while true {
            let item = workspace.nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            if item >= items { return }
            let token = item / kvHeads
            let head = item % kvHeads
            let offset = token * rowFloats + head * groupFloats
            attendGroup(
                query: tokens[token], queries: queries + offset, output: output + offset,
                cache: cache, layer: layer, kvHead: head, groupSize: groupSize, scratch: scratch,
                native: native)
        }
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
