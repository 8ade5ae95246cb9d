import CKernels

/// Whether the AVX-512 kernel in CKernels runs on this CPU; checked once per process.
let nativeAttentionAvailable: Bool = ck_attention_avx512_available() != 0

/// One (token, KV head) item through CKernels' AVX-512 loop (int8 and fp16 tiles): the same
/// algorithm, layout and scratch as the Swift loop, with 512-bit vectors and fused
/// multiply-adds, which Swift cannot emit at the default x86-64 target.
func attendGroupNative(
    _ query: AttentionQuery, _ queries: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
    _ cache: PagedKVCache, _ layer: Int, _ kvHead: Int, _ groupSize: Int, _ scratch: UnsafeMutablePointer<Float>
) {
    let headDim = cache.headDim
    let groupFloats = groupSize * headDim
    let regions = AttentionGroupScratch(scratch, groupSize: groupSize, headDim: headDim)
    let queryScale = 1.442_695_04 / Float(headDim).squareRoot()
    for index in 0..<groupFloats { regions.scaledQueries[index] = queries[index] * queryScale }
    var tiles = ck_kv_tiles(
        tiles: UnsafeRawPointer(cache.tile(layer: layer, block: 0, head: kvHead)).assumingMemoryBound(to: UInt8.self),
        tile_bytes: cache.tileBytes, value_offset: cache.valueOffset, key_scale_offset: cache.keyScaleOffset,
        value_scale_offset: cache.valueScaleOffset, anchor_offset: cache.anchorOffset, head_dim: Int64(headDim))
    ck_attend_group_avx512(
        &tiles, cache.format == .int8 ? 0 : 2, query.blocks, Int64(query.visibleLength), regions.scaledQueries,
        Int64(groupSize), regions.accumulators, regions.maxima, regions.sums, regions.corrections, regions.weights,
        output)
}
