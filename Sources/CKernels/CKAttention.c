// Paged decode attention over int8 and fp16 KV tiles with AVX-512, the fast path of
// DecodeKernels' pagedAttention (whose Swift loop stays the reference the tests compare
// against). Same algorithm and layout as the Swift version: keys dimension-major so a block's
// 16 scores are one vector, values token-major, online softmax in base 2.
#include "CKAttention.h"

#if defined(__x86_64__)
#include <immintrin.h>

int ck_attention_avx512_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

#define CK_TARGET __attribute__((target("avx512f,fma"), always_inline)) static inline

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

/// The online-softmax step for one head and block (see updateSoftmax in Swift).
CK_TARGET void ck_softmax_step(
    __m512 scores, int64_t head, __mmask16 visible, __m512 value_scales, float *maxima, float *sums,
    float *corrections, float *weights) {
    const __m512 minus_infinity = _mm512_set1_ps(-__builtin_inff());
    __m512 masked = _mm512_mask_blend_ps(visible, minus_infinity, scores);
    float previous = maxima[head];
    float block_max = _mm512_reduce_max_ps(masked);
    float maximum = previous > block_max ? previous : block_max;
    float correction = 0;
    if (previous != -__builtin_inff()) {
        correction = _mm512_cvtss_f32(ck_exp2(_mm512_set1_ps(previous - maximum)));
    }
    __m512 p = _mm512_maskz_mov_ps(visible, ck_exp2(_mm512_sub_ps(masked, _mm512_set1_ps(maximum))));
    sums[head] = sums[head] * correction + _mm512_reduce_add_ps(p);
    maxima[head] = maximum;
    corrections[head] = correction;
    _mm512_store_ps(weights + 16 * head, _mm512_mul_ps(p, value_scales));
}

/// Scores of up to four heads (`width`, a constant after inlining) for one block's 16 slots.
CK_TARGET void ck_scores(
    const uint8_t *tile, const float *q, int64_t head_dim, int width, int format, __m512 *out) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (int64_t d = 0; d < head_dim; d++) {
        __m512 k = ck_load16(tile, d * 16, format);
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

/// Adds the block's weighted value rows to up to four heads' accumulators, after rescaling
/// them by the heads' corrections.
CK_TARGET void ck_values(
    const uint8_t *values, const float *w, float *acc, const float *corrections, int64_t head_dim,
    int64_t filled, int width, int format) {
    for (int64_t chunk = 0; chunk < head_dim; chunk += 16) {
        float *a = acc + chunk;
        __m512 a0 = _mm512_mul_ps(_mm512_load_ps(a), _mm512_set1_ps(corrections[0]));
        __m512 a1 = width > 1 ? _mm512_mul_ps(_mm512_load_ps(a + head_dim), _mm512_set1_ps(corrections[1])) : _mm512_setzero_ps();
        __m512 a2 = width > 2 ? _mm512_mul_ps(_mm512_load_ps(a + 2 * head_dim), _mm512_set1_ps(corrections[2])) : _mm512_setzero_ps();
        __m512 a3 = width > 3 ? _mm512_mul_ps(_mm512_load_ps(a + 3 * head_dim), _mm512_set1_ps(corrections[3])) : _mm512_setzero_ps();
        for (int64_t t = 0; t < filled; t++) {
            __m512 v = ck_load16(values, t * head_dim + chunk, format);
            a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), v, a0);
            if (width > 1) a1 = _mm512_fmadd_ps(_mm512_set1_ps(w[16 + t]), v, a1);
            if (width > 2) a2 = _mm512_fmadd_ps(_mm512_set1_ps(w[32 + t]), v, a2);
            if (width > 3) a3 = _mm512_fmadd_ps(_mm512_set1_ps(w[48 + t]), v, a3);
        }
        _mm512_store_ps(a, a0);
        if (width > 1) _mm512_store_ps(a + head_dim, a1);
        if (width > 2) _mm512_store_ps(a + 2 * head_dim, a2);
        if (width > 3) _mm512_store_ps(a + 3 * head_dim, a3);
    }
}

/// Tiles are requested this many blocks ahead of their use: a sequence's blocks may lie
/// anywhere in the pool, where the hardware prefetcher cannot follow from one to the next.
#define CK_PREFETCH_BLOCKS 2

CK_TARGET void ck_prefetch_tile(const uint8_t *tile, ptrdiff_t bytes) {
    for (ptrdiff_t offset = 0; offset < bytes; offset += 64) _mm_prefetch((const char *)tile + offset, _MM_HINT_T0);
}

CK_TARGET void ck_attend(
    const ck_kv_tiles *kv, const int format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output) {
    const int64_t head_dim = kv->head_dim;
    for (int64_t i = 0; i < group * head_dim; i++) accumulators[i] = 0;
    for (int64_t h = 0; h < group; h++) {
        maxima[h] = -__builtin_inff();
        sums[h] = 0;
    }
    const int64_t block_total = (visible + 15) / 16;
    for (int64_t b = 0; b < CK_PREFETCH_BLOCKS && b < block_total; b++) {
        ck_prefetch_tile(kv->tiles + (ptrdiff_t)blocks[b] * kv->tile_bytes, kv->tile_bytes);
    }
    for (int64_t b = 0; b < block_total; b++) {
        const int64_t filled = visible - b * 16 < 16 ? visible - b * 16 : 16;
        const __mmask16 shown = (__mmask16)((1u << filled) - 1);
        const uint8_t *tile = kv->tiles + (ptrdiff_t)blocks[b] * kv->tile_bytes;
        if (b + CK_PREFETCH_BLOCKS < block_total) {
            ck_prefetch_tile(kv->tiles + (ptrdiff_t)blocks[b + CK_PREFETCH_BLOCKS] * kv->tile_bytes, kv->tile_bytes);
        }
        __m512 key_scales = _mm512_set1_ps(1.0f), value_scales = _mm512_set1_ps(1.0f);
        if (format == 0) {
            key_scales = _mm512_load_ps((const float *)(tile + kv->key_scale_offset));
            value_scales = _mm512_load_ps((const float *)(tile + kv->value_scale_offset));
        }
        for (int64_t head = 0; head < group; head += 4) {
            const int width = group - head < 4 ? (int)(group - head) : 4;
            __m512 s[4];
            const float *q = queries + head * head_dim;
            switch (width) {
            case 4: ck_scores(tile, q, head_dim, 4, format, s); break;
            case 3: ck_scores(tile, q, head_dim, 3, format, s); break;
            case 2: ck_scores(tile, q, head_dim, 2, format, s); break;
            default: ck_scores(tile, q, head_dim, 1, format, s); break;
            }
            for (int j = 0; j < width; j++) {
                ck_softmax_step(_mm512_mul_ps(s[j], key_scales), head + j, shown, value_scales, maxima, sums,
                                corrections, weights);
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
        const float inverse = 1.0f / sums[h];
        for (int64_t d = 0; d < head_dim; d++) output[h * head_dim + d] = accumulators[h * head_dim + d] * inverse;
    }
}

__attribute__((target("avx512f,fma")))
void ck_attend_group_avx512(
    const ck_kv_tiles *kv, int32_t format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output) {
    // One specialised copy per format, so the inner loops carry no format test.
    if (format == 0) {
        ck_attend(kv, 0, blocks, visible, queries, group, accumulators, maxima, sums, corrections, weights, output);
    } else {
        ck_attend(kv, 2, blocks, visible, queries, group, accumulators, maxima, sums, corrections, weights, output);
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
