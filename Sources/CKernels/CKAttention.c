// Paged decode attention over int8 and fp16 KV tiles with AVX-512, the fast path of
// DecodeKernels' pagedAttention (whose Swift loop stays the reference the tests compare
// against). Same layout as the Swift version: keys dimension-major so a block's 16 scores are
// one vector, values token-major, online softmax in base 2. For int8 KV the query is rounded
// to two int8 parts per head once per item (about 15 bits) and the K scores are integer dot
// products (VPDPBUSD); the values are accumulated in float with the per-token scale folded
// into the softmax weight. int8 keys are residuals from a per-(block, KV head) fp16 anchor
// (PagedKVCache), whose score part q·anchor is added once per block and head.
#include "CKAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_FEATURES "avx512f,avx512bw,avx512vbmi,avx512vnni,fma"
#define CK_TARGET __attribute__((target(CK_FEATURES), always_inline)) static inline

int ck_attention_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("fma");
}

/// 2^x for x <= 0 (inputs below -126 give 2^-126), as fastExp2 in Swift.
CK_TARGET __m512 ck_exp2(__m512 x) {
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    x = _mm512_max_ps(x, _mm512_set1_ps(-126.0f));
    __m512 shifted = _mm512_add_ps(x, magic);
    __m512i n = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(magic));
    __m512 f = _mm512_sub_ps(x, _mm512_sub_ps(shifted, magic));
    __m512 t = _mm512_mul_ps(f, _mm512_set1_ps(0.69314718f));
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
    __m512 power = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
    return _mm512_mul_ps(p, power);
}

/// Sixteen stored elements starting at `element`, unscaled.
CK_TARGET __m512 ck_load16(const uint8_t *base, int64_t element, int format) {
    if (format == 0) {
        return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(base + element))));
    }
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(base + 2 * element)));
}

/// How far (in base-2 score units) a block's scores may rise above a head's running maximum
/// before the maximum is moved: below it the weights are taken against the stale maximum
/// (at most 2^8, far from overflow) and nothing is rescaled. The result is the same softmax:
/// weights and sum share whatever reference the maximum is.
#define CK_RESCALE_THRESHOLD 8.0f

/// The online-softmax step for one head and block (see updateSoftmax in Swift), lazily: the
/// running maximum moves, and the accumulated sum and values are rescaled, only when a score
/// passes it by CK_RESCALE_THRESHOLD — after the first blocks, almost never — so the common
/// block needs one compare instead of a horizontal maximum, a correction and a horizontal sum.
/// `sums` holds one vector of partial sums per head, reduced once at the end.
CK_TARGET void ck_softmax_step(
    __m512 scores, int64_t head, __mmask16 visible, __m512 value_scales, float *maxima, __m512 *sums,
    float *corrections, float *weights) {
    float maximum = maxima[head];
    float correction = 1.0f;
    const __mmask16 grows =
        _mm512_mask_cmp_ps_mask(visible, scores, _mm512_set1_ps(maximum + CK_RESCALE_THRESHOLD), _CMP_GT_OQ);
    if (grows) {
        const __m512 masked = _mm512_mask_blend_ps(visible, _mm512_set1_ps(-__builtin_inff()), scores);
        const float previous = maximum;
        maximum = _mm512_reduce_max_ps(masked);
        correction = previous == -__builtin_inff()
            ? 0.0f : _mm512_cvtss_f32(ck_exp2(_mm512_set1_ps(previous - maximum)));
        sums[head] = _mm512_mul_ps(sums[head], _mm512_set1_ps(correction));
        maxima[head] = maximum;
    }
    const __m512 p = _mm512_maskz_mov_ps(visible, ck_exp2(_mm512_sub_ps(scores, _mm512_set1_ps(maximum))));
    sums[head] = _mm512_add_ps(sums[head], p);
    corrections[head] = correction;
    _mm512_store_ps(weights + 16 * head, _mm512_mul_ps(p, value_scales));
}

/// Scores of up to four fp16-key heads (`width`, a constant after inlining) for one block's
/// 16 slots. (Two accumulators per head showed no gain in bench attention on this host.)
CK_TARGET void ck_scores(const uint8_t *tile, const float *q, int64_t head_dim, int width, __m512 *out) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (int64_t d = 0; d < head_dim; d++) {
        __m512 k = ck_load16(tile, d * 16, 2);
        s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), k, s0);
        if (width > 1) s1 = _mm512_fmadd_ps(_mm512_set1_ps(q[head_dim + d]), k, s1);
        if (width > 2) s2 = _mm512_fmadd_ps(_mm512_set1_ps(q[2 * head_dim + d]), k, s2);
        if (width > 3) s3 = _mm512_fmadd_ps(_mm512_set1_ps(q[3 * head_dim + d]), k, s3);
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

/// Integer scores of up to four heads (`width`, a constant after inlining) for one int8 block,
/// for two int8 roundings of each query at once (`q`, the query in steps of its scale, and
/// `r`, what that rounding left, in steps 254 times finer) so the keys are loaded and
/// regrouped once: each 64-byte row of keys holds dimensions 4g..4g+3 of the 16 tokens
/// (dimension-major); VPERMB regroups it token-major (token t's four bytes in lane t), XOR
/// 0x80 makes the keys unsigned (k + 128) for VPDPBUSD, whose sums therefore carry 128 · Σq
/// extra, removed by the caller.
CK_TARGET void ck_scores_vnni(
    const uint8_t *tile, const int8_t *q, const int8_t *r, int64_t head_dim, int width, __m512i *out,
    __m512i *out_residual) {
    const __m512i regroup = _mm512_set_epi8(
        63, 47, 31, 15, 62, 46, 30, 14, 61, 45, 29, 13, 60, 44, 28, 12,
        59, 43, 27, 11, 58, 42, 26, 10, 57, 41, 25, 9, 56, 40, 24, 8,
        55, 39, 23, 7, 54, 38, 22, 6, 53, 37, 21, 5, 52, 36, 20, 4,
        51, 35, 19, 3, 50, 34, 18, 2, 49, 33, 17, 1, 48, 32, 16, 0);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i a[4], b[4];
    for (int h = 0; h < 4; h++) {
        a[h] = _mm512_setzero_si512();
        b[h] = _mm512_setzero_si512();
    }
    for (int64_t g = 0; g < head_dim / 4; g++) {
        __m512i k = _mm512_xor_si512(_mm512_permutexvar_epi8(regroup, _mm512_load_si512(tile + 64 * g)), flip);
        for (int h = 0; h < width; h++) {
            int32_t q4, r4;
            __builtin_memcpy(&q4, q + h * head_dim + 4 * g, 4);
            __builtin_memcpy(&r4, r + h * head_dim + 4 * g, 4);
            a[h] = _mm512_dpbusd_epi32(a[h], k, _mm512_set1_epi32(q4));
            b[h] = _mm512_dpbusd_epi32(b[h], k, _mm512_set1_epi32(r4));
        }
    }
    for (int h = 0; h < 4; h++) {
        out[h] = a[h];
        out_residual[h] = b[h];
    }
}

/// q·anchor for up to four heads (`width`, a constant after inlining), each broadcast to a
/// vector: the score part of a block's fp16 key anchor, which the block's int8 keys are stored
/// relative to. The anchor is converted once for all heads.
CK_TARGET void ck_anchor_scores(const uint8_t *anchor, const float *q, int64_t head_dim, int width, __m512 *out) {
    __m512 t[4];
    for (int h = 0; h < 4; h++) t[h] = _mm512_setzero_ps();
    for (int64_t d = 0; d < head_dim; d += 16) {
        const __m512 a = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(anchor + 2 * d)));
        for (int h = 0; h < width; h++) t[h] = _mm512_fmadd_ps(a, _mm512_loadu_ps(q + h * head_dim + d), t[h]);
    }
    for (int h = 0; h < width; h++) out[h] = _mm512_set1_ps(_mm512_reduce_add_ps(t[h]));
}

/// Adds the block's weighted value rows to up to four heads' accumulators, after rescaling
/// them by the heads' corrections: `vecs` (a constant after inlining) 16-dimension chunks at
/// once, so one pass over the block's tokens feeds width × vecs independent accumulators.
CK_TARGET void ck_values_chunk(
    const uint8_t *values, const float *w, float *acc, const float *corrections, int64_t head_dim,
    int64_t filled, int width, int vecs, int format) {
    __m512 a[4][4];
    for (int h = 0; h < 4; h++) {
        for (int v = 0; v < 4; v++) {
            a[h][v] = (h < width && v < vecs)
                ? _mm512_mul_ps(_mm512_load_ps(acc + h * head_dim + 16 * v), _mm512_set1_ps(corrections[h]))
                : _mm512_setzero_ps();
        }
    }
    for (int64_t t = 0; t < filled; t++) {
        for (int v = 0; v < vecs; v++) {
            __m512 x = ck_load16(values, t * head_dim + 16 * v, format);
            for (int h = 0; h < width; h++) a[h][v] = _mm512_fmadd_ps(_mm512_set1_ps(w[16 * h + t]), x, a[h][v]);
        }
    }
    for (int h = 0; h < width; h++) {
        for (int v = 0; v < vecs; v++) _mm512_store_ps(acc + h * head_dim + 16 * v, a[h][v]);
    }
}

CK_TARGET void ck_values(
    const uint8_t *values, const float *w, float *acc, const float *corrections, int64_t head_dim,
    int64_t filled, int width, int format) {
    int64_t chunk = 0;
    // int8 rows take four chunks per pass over the tokens; fp16 keeps one chunk per pass,
    // which measured faster beyond L2 (its 4 KiB tiles).
    for (; format == 0 && chunk + 64 <= head_dim; chunk += 64) {
        ck_values_chunk(values + chunk * (format == 0 ? 1 : 2), w, acc + chunk, corrections, head_dim, filled,
                        width, 4, format);
    }
    for (; chunk < head_dim; chunk += 16) {
        ck_values_chunk(values + chunk * (format == 0 ? 1 : 2), w, acc + chunk, corrections, head_dim, filled,
                        width, 1, format);
    }
}

/// Tiles are requested this many blocks ahead of their use: a sequence's blocks may lie
/// anywhere in the pool, where the hardware prefetcher cannot follow from one to the next.
/// int8 tiles are requested into L2 (T1), fp16 tiles into L1 (T0), each the faster measured:
/// in a single-thread harness (192 int8 items of 4,096 positions, 113 MB) the int8 loop ran
/// 12.6 GB/s with T0 and 15.5 with T1; in bench attention fp16 fell from ~50% of the read
/// bandwidth to ~35% with T1 (the causes were not pinned down further).
#define CK_PREFETCH_BLOCKS 2

CK_TARGET void ck_prefetch_tile(const uint8_t *tile, ptrdiff_t bytes, int format) {
    for (ptrdiff_t offset = 0; offset < bytes; offset += 64) {
        if (format == 0) {
            _mm_prefetch((const char *)tile + offset, _MM_HINT_T1);
        } else {
            _mm_prefetch((const char *)tile + offset, _MM_HINT_T0);
        }
    }
}

CK_TARGET void ck_attend(
    const ck_kv_tiles *kv, const int format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output, const int8_t *quantized, const int32_t *query_sums,
    const float *query_scales, const float *rounded) {
    const int64_t head_dim = kv->head_dim;
    for (int64_t i = 0; i < group * head_dim; i++) accumulators[i] = 0;
    __m512 partial_sums[group];
    for (int64_t h = 0; h < group; h++) {
        maxima[h] = -__builtin_inff();
        partial_sums[h] = _mm512_setzero_ps();
    }
    const int64_t block_total = (visible + 15) / 16;
    for (int64_t b = 0; b < CK_PREFETCH_BLOCKS && b < block_total; b++) {
        ck_prefetch_tile(kv->tiles + (ptrdiff_t)blocks[b] * kv->tile_bytes, kv->tile_bytes, format);
    }
    for (int64_t b = 0; b < block_total; b++) {
        const int64_t filled = visible - b * 16 < 16 ? visible - b * 16 : 16;
        const __mmask16 shown = (__mmask16)((1u << filled) - 1);
        const uint8_t *tile = kv->tiles + (ptrdiff_t)blocks[b] * kv->tile_bytes;
        if (b + CK_PREFETCH_BLOCKS < block_total) {
            ck_prefetch_tile(kv->tiles + (ptrdiff_t)blocks[b + CK_PREFETCH_BLOCKS] * kv->tile_bytes, kv->tile_bytes, format);
        }
        __m512 key_scales = _mm512_set1_ps(1.0f), value_scales = _mm512_set1_ps(1.0f);
        if (format == 0) {
            key_scales = _mm512_load_ps((const float *)(tile + kv->key_scale_offset));
            value_scales = _mm512_load_ps((const float *)(tile + kv->value_scale_offset));
        }
        for (int64_t head = 0; head < group; head += 4) {
            const int width = group - head < 4 ? (int)(group - head) : 4;
            __m512 s[4], anchor[4];
            if (format == 0) {
                __m512i n[4], m[4];
                const int8_t *q = quantized + head * head_dim;
                const int8_t *r = quantized + (group + head) * head_dim;
                const uint8_t *a = tile + kv->anchor_offset;
                const float *f = rounded + head * head_dim;
                switch (width) {
                case 4: ck_scores_vnni(tile, q, r, head_dim, 4, n, m); ck_anchor_scores(a, f, head_dim, 4, anchor); break;
                case 3: ck_scores_vnni(tile, q, r, head_dim, 3, n, m); ck_anchor_scores(a, f, head_dim, 3, anchor); break;
                case 2: ck_scores_vnni(tile, q, r, head_dim, 2, n, m); ck_anchor_scores(a, f, head_dim, 2, anchor); break;
                default: ck_scores_vnni(tile, q, r, head_dim, 1, n, m); ck_anchor_scores(a, f, head_dim, 1, anchor); break;
                }
                for (int j = 0; j < width; j++) {
                    __m512i coarse = _mm512_sub_epi32(n[j], _mm512_set1_epi32(128 * query_sums[head + j]));
                    __m512i fine = _mm512_sub_epi32(m[j], _mm512_set1_epi32(128 * query_sums[group + head + j]));
                    s[j] = _mm512_fmadd_ps(
                        _mm512_cvtepi32_ps(coarse), _mm512_set1_ps(query_scales[head + j]),
                        _mm512_mul_ps(_mm512_cvtepi32_ps(fine), _mm512_set1_ps(query_scales[group + head + j])));
                }
            } else {
                const float *q = queries + head * head_dim;
                switch (width) {
                case 4: ck_scores(tile, q, head_dim, 4, s); break;
                case 3: ck_scores(tile, q, head_dim, 3, s); break;
                case 2: ck_scores(tile, q, head_dim, 2, s); break;
                default: ck_scores(tile, q, head_dim, 1, s); break;
                }
                for (int j = 0; j < width; j++) anchor[j] = _mm512_setzero_ps();
            }
            for (int j = 0; j < width; j++) {
                ck_softmax_step(_mm512_fmadd_ps(s[j], key_scales, anchor[j]), head + j, shown, value_scales, maxima,
                                partial_sums, corrections, weights);
            }
        }
        const uint8_t *values = tile + kv->value_offset;
        for (int64_t head = 0; head < group; head += 4) {
            const int width = group - head < 4 ? (int)(group - head) : 4;
            float *acc = accumulators + head * head_dim;
            const float *w = weights + 16 * head;
            const float *c = corrections + head;
            switch (width) {
            case 4: ck_values(values, w, acc, c, head_dim, filled, 4, format); break;
            case 3: ck_values(values, w, acc, c, head_dim, filled, 3, format); break;
            case 2: ck_values(values, w, acc, c, head_dim, filled, 2, format); break;
            default: ck_values(values, w, acc, c, head_dim, filled, 1, format); break;
            }
        }
    }
    for (int64_t h = 0; h < group; h++) {
        sums[h] = _mm512_reduce_add_ps(partial_sums[h]);
        const float inverse = 1.0f / sums[h];
        for (int64_t d = 0; d < head_dim; d++) output[h * head_dim + d] = accumulators[h * head_dim + d] * inverse;
    }
}

/// Rounds each head's query to int8 twice: q ≈ scale · n + (scale / 254) · r, with n the
/// query in steps of scale = absmax / 127 and r what that rounding left (at most half a step)
/// in steps 254 times finer — about 15 bits in all, so the int8 scores lose no more than the
/// int8 keys do (one 8-bit query rounding measured as much error as the keys' own). Rows
/// 0..<group of `quantized` get n, rows group..<2·group get r; `sums` and `scales` likewise
/// (sums of the elements for the VPDPBUSD offset); `rounded` gets the query the two parts
/// make, in float, for the anchors' score part.
CK_TARGET void ck_quantize_queries(
    const float *queries, int64_t group, int64_t head_dim, int8_t *quantized, int32_t *sums, float *scales,
    float *rounded) {
    for (int64_t h = 0; h < group; h++) {
        const float *q = queries + h * head_dim;
        __m512 peak = _mm512_setzero_ps();
        for (int64_t d = 0; d < head_dim; d += 16) peak = _mm512_max_ps(peak, _mm512_abs_ps(_mm512_loadu_ps(q + d)));
        const float absmax = _mm512_reduce_max_ps(peak);
        const float inverse = absmax > 0 ? 127.0f / absmax : 0.0f;
        __m512i total = _mm512_setzero_si512(), residual_total = _mm512_setzero_si512();
        for (int64_t d = 0; d < head_dim; d += 16) {
            const __m512 x = _mm512_mul_ps(_mm512_loadu_ps(q + d), _mm512_set1_ps(inverse));
            const __m512i n = _mm512_cvtps_epi32(x);
            const __m512i r = _mm512_cvtps_epi32(
                _mm512_mul_ps(_mm512_sub_ps(x, _mm512_cvtepi32_ps(n)), _mm512_set1_ps(254.0f)));
            const __m512 coarse = _mm512_mul_ps(_mm512_cvtepi32_ps(n), _mm512_set1_ps(absmax / 127.0f));
            _mm512_storeu_ps(rounded + h * head_dim + d, _mm512_fmadd_ps(
                _mm512_cvtepi32_ps(r), _mm512_set1_ps(absmax / (127.0f * 254.0f)), coarse));
            total = _mm512_add_epi32(total, n);
            residual_total = _mm512_add_epi32(residual_total, r);
            _mm_storeu_si128((__m128i *)(quantized + h * head_dim + d), _mm512_cvtepi32_epi8(n));
            _mm_storeu_si128((__m128i *)(quantized + (group + h) * head_dim + d), _mm512_cvtepi32_epi8(r));
        }
        sums[h] = _mm512_reduce_add_epi32(total);
        sums[group + h] = _mm512_reduce_add_epi32(residual_total);
        scales[h] = absmax / 127.0f;
        scales[group + h] = absmax / (127.0f * 254.0f);
    }
}

__attribute__((target(CK_FEATURES)))
void ck_attend_group_avx512(
    const ck_kv_tiles *kv, int32_t format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output) {
    // One specialised copy per format, so the inner loops carry no format test.
    if (format == 0) {
        int8_t quantized[2 * group * kv->head_dim];
        int32_t query_sums[2 * group];
        float query_scales[2 * group];
        float rounded[group * kv->head_dim];
        ck_quantize_queries(queries, group, kv->head_dim, quantized, query_sums, query_scales, rounded);
        ck_attend(kv, 0, blocks, visible, queries, group, accumulators, maxima, sums, corrections, weights, output,
                  quantized, query_sums, query_scales, rounded);
    } else {
        ck_attend(kv, 2, blocks, visible, queries, group, accumulators, maxima, sums, corrections, weights, output,
                  0, 0, 0, 0);
    }
}

#else

int ck_attention_avx512_available(void) { return 0; }

void ck_attend_group_avx512(
    const ck_kv_tiles *kv, int32_t format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output) {
    (void)kv; (void)format; (void)blocks; (void)visible; (void)queries; (void)group;
    (void)accumulators; (void)maxima; (void)sums; (void)corrections; (void)weights; (void)output;
}

#endif
