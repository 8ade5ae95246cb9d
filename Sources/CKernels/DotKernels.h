// Quantized-weight × 8-bit-activation dot kernels. Included twice by CKernels.c with a
// different target and CK_FN suffix each time (no include guard on purpose); CK_VNNI selects
// vpdpbusd for the unsigned × signed byte dot products.

#define CK_INLINE static inline __attribute__((always_inline))

/// Sums of 4 adjacent u8 × s8 products, as 8 int32 lanes.
CK_INLINE __m256i CK_FN(dot_u8s8)(__m256i u, __m256i s) {
#ifdef CK_VNNI
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
#endif
}

/// Like dot_u8s8, but each 16-value half of the 32 bytes is weighted by its own integer
/// scale (scales16 holds them as int16 for the madd route, scales32 as int32 for VNNI).
CK_INLINE __m256i CK_FN(dot_u8s8_scaled)(__m256i u, __m256i s, __m256i scales16, __m256i scales32) {
#ifdef CK_VNNI
    (void)scales16;
    return _mm256_mullo_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s), scales32);
#else
    (void)scales32;
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), scales16);
#endif
}

CK_INLINE float CK_FN(hsum)(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

CK_INLINE int CK_FN(hsum_i32)(__m256i v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(x);
}

CK_INLINE float CK_FN(half)(const uint8_t *p) {
    uint16_t bits;
    __builtin_memcpy(&bits, p, 2);
    return _cvtsh_ss(bits);
}

/// 16 bytes of nibbles → 32 bytes: low nibbles (values 0..15) then high nibbles (16..31).
CK_INLINE __m256i CK_FN(unpack_nibbles)(const uint8_t *q) {
    const __m128i t = _mm_loadu_si128((const __m128i *)q);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(t, 4), t);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/// Bytes of one 32-value block: kind 0 Q4_0 (d, 16 nibble bytes), 1 Q4_1 (d, m, 16), 2 Q8_0 (d, 32).
CK_INLINE int CK_FN(block_bytes_32)(const int kind) {
    return kind == 0 ? 18 : (kind == 1 ? 20 : 34);
}

/// fma(x, y, z) rounded once, as the tiled kernel's vector FMA rounds each lane.
CK_INLINE float CK_FN(fma1)(float x, float y, float z) {
    return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(x), _mm_set_ss(y), _mm_set_ss(z)));
}

/// One Q4_0 / Q4_1 / Q8_0 block (index i) of a weight row × nb activation rows starting at
/// b0, folded into acc[0..<nb]. kind 0: Q4_0 (value = d·(q−8)), 1: Q4_1 (d·q + m), 2: Q8_0
/// (d·q, signed). Callers pass constant nb and kind, and accumulators indexed only by
/// constants, so everything stays in registers.
///
/// The arithmetic is the tiled kernel's, operation for operation: the block's exact integer
/// dot product of the weights' integer part; for Q4_0 and Q8_0 one rounding of isum × (d·dₐ)
/// into the accumulator, for Q4_1 the block's value isum·(d·dₐ) + m·Σa added to it. So a
/// row's output does not depend on which kernel ran it, and a sequence's tokens are the same
/// alone (batch 1, this kernel) as batched (the tiled kernel).
CK_INLINE void CK_FN(block_32)(const uint8_t *blk, const ck_matmul_args *a, int i, int b0, const int nb,
                               float *acc, const int kind) {
    const int blocks = a->columns / 32;
    const float d = CK_FN(half)(blk);
    float m = 0;
    __m256i wq;
    if (kind == 2) {
        wq = _mm256_loadu_si256((const __m256i *)(blk + 2));
    } else if (kind == 1) {
        m = CK_FN(half)(blk + 2);
        wq = CK_FN(unpack_nibbles)(blk + 4);
    } else {
        wq = _mm256_sub_epi8(CK_FN(unpack_nibbles)(blk + 2), _mm256_set1_epi8(8));
    }
    // Signed weights (Q4_0, Q8_0) go through the sign trick: |w| × (a with w's sign).
    const __m256i wabs = kind == 1 ? wq : _mm256_sign_epi8(wq, wq);
    for (int b = 0; b < nb; b++) {
        const size_t row = (size_t)(b0 + b);
        __m256i aq = _mm256_loadu_si256((const __m256i *)(a->act_quants + row * a->columns + (size_t)i * 32));
        if (kind != 1) aq = _mm256_sign_epi8(aq, wq);
        const int isum = CK_FN(hsum_i32)(CK_FN(dot_u8s8)(wabs, aq));
        const float scale = d * a->act_scales[row * blocks + i];
        if (kind == 1) acc[b] += CK_FN(fma1)(m, a->act_sums[row * blocks + i], (float)isum * scale);
        else acc[b] = CK_FN(fma1)((float)isum, scale, acc[b]);
    }
}

/// The 8 int32 lanes of each of p[0..<8] summed: lane j of the result is p[j]'s total. Integer
/// sums are exact in any order, so this is block_32's hsum_i32 for 8 blocks at a third of
/// the shuffles.
CK_INLINE __m256i CK_FN(hsum8_i32)(const __m256i *p) {
    const __m256i h0123 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i h4567 = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0123, h4567, 0x20),
                            _mm256_permute2x128_si256(h0123, h4567, 0x31));
}

/// The first 4 bytes of 8 weight blocks `block_bytes` apart (d, and m for Q4_1, as fp16),
/// split into d (low halves) and m (high halves) as floats.
CK_INLINE void CK_FN(block_heads8)(const uint8_t *blk, const int block_bytes, __m256 *d, __m256 *m) {
    int32_t heads[8];
    for (int j = 0; j < 8; j++) __builtin_memcpy(&heads[j], blk + j * block_bytes, 4);
    const __m256i v = _mm256_loadu_si256((const __m256i *)heads);
    const __m256i lows = _mm256_and_si256(v, _mm256_set1_epi32(0xFFFF));
    const __m256i highs = _mm256_srli_epi32(v, 16);
    // packus keeps each 128-bit lane's halves together: [l0..l3 h0..h3 | l4..l7 h4..h7].
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(lows, highs), _MM_SHUFFLE(3, 1, 2, 0));
    *d = _mm256_cvtph_ps(_mm256_castsi256_si128(packed));
    *m = _mm256_cvtph_ps(_mm256_extracti128_si256(packed, 1));
}

/// Eight consecutive blocks (from index i) of a Q4_0 / Q4_1 / Q8_0 weight row × nb activation
/// rows: block_32's arithmetic lane by lane (one block per lane: the exact integer sum, the
/// same float roundings), then the 8 values folded into each accumulator one block at a time
/// in order, so the result is bit-identical to 8 calls of block_32 — at one hadd tree and one
/// vector of float work per 8 blocks instead of a horizontal sum and scalar work per block.
CK_INLINE void CK_FN(blocks8_32)(const uint8_t *blk, const ck_matmul_args *a, int i, int b0, const int nb,
                                 float *acc, const int kind) {
    const int blocks = a->columns / 32;
    const int block_bytes = CK_FN(block_bytes_32)(kind);
    __m256i wq[8], wabs[8];
    for (int j = 0; j < 8; j++) {
        const uint8_t *q = blk + j * block_bytes;
        if (kind == 2) wq[j] = _mm256_loadu_si256((const __m256i *)(q + 2));
        else if (kind == 1) wq[j] = CK_FN(unpack_nibbles)(q + 4);
        else wq[j] = _mm256_sub_epi8(CK_FN(unpack_nibbles)(q + 2), _mm256_set1_epi8(8));
        wabs[j] = kind == 1 ? wq[j] : _mm256_sign_epi8(wq[j], wq[j]);
    }
    __m256 d, m;
    CK_FN(block_heads8)(blk, block_bytes, &d, &m);
    for (int b = 0; b < nb; b++) {
        const size_t row = (size_t)(b0 + b);
        const int8_t *act = a->act_quants + row * a->columns + (size_t)i * 32;
        __m256i p[8];
        for (int j = 0; j < 8; j++) {
            __m256i aq = _mm256_loadu_si256((const __m256i *)(act + j * 32));
            if (kind != 1) aq = _mm256_sign_epi8(aq, wq[j]);
            p[j] = CK_FN(dot_u8s8)(wabs[j], aq);
        }
        const __m256 isum = _mm256_cvtepi32_ps(CK_FN(hsum8_i32)(p));
        const __m256 scale = _mm256_mul_ps(d, _mm256_loadu_ps(a->act_scales + row * blocks + i));
        float values[8];
        if (kind == 1) {
            const __m256 sums = _mm256_loadu_ps(a->act_sums + row * blocks + i);
            _mm256_storeu_ps(values, _mm256_fmadd_ps(m, sums, _mm256_mul_ps(isum, scale)));
            for (int j = 0; j < 8; j++) acc[b] += values[j];
        } else {
            float scales[8];
            _mm256_storeu_ps(values, isum);
            _mm256_storeu_ps(scales, scale);
            for (int j = 0; j < 8; j++) acc[b] = CK_FN(fma1)(values[j], scales[j], acc[b]);
        }
    }
}

/// A Q4_0 / Q4_1 / Q8_0 weight row × nb activation rows, block by block in order (the order
/// the tiled kernel accumulates in), 8 blocks at a time where the row has them.
CK_INLINE void CK_FN(row_32)(const uint8_t *w, const ck_matmul_args *a, int b0, const int nb, float *out, const int kind) {
    const int blocks = a->columns / 32;
    const int block_bytes = CK_FN(block_bytes_32)(kind);
    float acc[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= blocks; i += 8) CK_FN(blocks8_32)(w + (size_t)i * block_bytes, a, i, b0, nb, acc, kind);
    for (; i < blocks; i++) CK_FN(block_32)(w + (size_t)i * block_bytes, a, i, b0, nb, acc, kind);
    for (int b = 0; b < nb; b++) out[(size_t)b * a->out_stride] = acc[b];
}

/// The row kernel of the 32-value block formats: for each weight row, the activation rows
/// in groups of four, so the row's unpacked blocks are reused from registers.
CK_INLINE void CK_FN(matmul_rows_32)(const ck_matmul_args *a, const int kind) {
    for (int r = 0; r < a->rows; r++) {
        const uint8_t *w = a->weights + (size_t)r * a->row_bytes;
        for (int b0 = 0; b0 < a->batch; b0 += 4) {
            float *out = a->out + (size_t)b0 * a->out_stride + r;
            switch (a->batch - b0) {
            case 1: CK_FN(row_32)(w, a, b0, 1, out, kind); break;
            case 2: CK_FN(row_32)(w, a, b0, 2, out, kind); break;
            case 3: CK_FN(row_32)(w, a, b0, 3, out, kind); break;
            default: CK_FN(row_32)(w, a, b0, 4, out, kind); break;
            }
        }
    }
}

/// Q4_K weight row × nb activation rows (Q8_K style: one d per 256, sums per 16).
CK_INLINE void CK_FN(row_q4_k)(const uint8_t *w, const ck_matmul_args *a, int b0, const int nb, float *out) {
    const int blocks = a->columns / 256;
    const size_t act_blocks = (size_t)a->columns / 32;
    const size_t act_groups = (size_t)a->columns / 16;
    __m256 acc[4];
    float extra[4] = {0, 0, 0, 0};
    for (int b = 0; b < 4; b++) acc[b] = _mm256_setzero_ps();
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int i = 0; i < blocks; i++) {
        const uint8_t *blk = w + (size_t)i * 144;
        const float d = CK_FN(half)(blk), dmin = CK_FN(half)(blk + 2);
        const uint8_t *packed = blk + 4;
        int sc[8], mn[8];
        for (int j = 0; j < 4; j++) {
            sc[j] = packed[j] & 63;
            mn[j] = packed[j + 4] & 63;
            sc[j + 4] = (packed[j + 8] & 0xF) | ((packed[j] >> 6) << 4);
            mn[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
        }
        __m256i q[8];
        for (int p = 0; p < 4; p++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(blk + 16 + 32 * p));
            q[2 * p] = _mm256_and_si256(bytes, low_mask);
            q[2 * p + 1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask);
        }
        for (int b = 0; b < nb; b++) {
            const size_t row = (size_t)(b0 + b);
            const int8_t *aq = a->act_quants + row * a->columns + (size_t)i * 256;
            __m256i sumi = _mm256_setzero_si256();
            for (int s = 0; s < 8; s++) {
                const __m256i dot = CK_FN(dot_u8s8)(q[s], _mm256_loadu_si256((const __m256i *)(aq + 32 * s)));
                sumi = _mm256_add_epi32(sumi, _mm256_mullo_epi32(dot, _mm256_set1_epi32(sc[s])));
            }
            const float dk = a->act_scales[row * act_blocks + i];
            acc[b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(d * dk), acc[b]);
            const int32_t *gs = a->act_group_sums + row * act_groups + (size_t)i * 16;
            int mins = 0;
            for (int s = 0; s < 8; s++) mins += mn[s] * (gs[2 * s] + gs[2 * s + 1]);
            extra[b] -= dmin * dk * (float)mins;
        }
    }
    for (int b = 0; b < nb; b++) out[(size_t)b * a->out_stride] = CK_FN(hsum)(acc[b]) + extra[b];
}

/// Q6_K weight row × nb activation rows (Q8_K style).
CK_INLINE void CK_FN(row_q6_k)(const uint8_t *w, const ck_matmul_args *a, int b0, const int nb, float *out) {
    const int blocks = a->columns / 256;
    const size_t act_blocks = (size_t)a->columns / 32;
    const size_t act_groups = (size_t)a->columns / 16;
    __m256 acc[4];
    float extra[4] = {0, 0, 0, 0};
    for (int b = 0; b < 4; b++) acc[b] = _mm256_setzero_ps();
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256i two_bits = _mm256_set1_epi8(0x03);
    for (int i = 0; i < blocks; i++) {
        const uint8_t *blk = w + (size_t)i * 210;
        const int8_t *sc = (const int8_t *)(blk + 192);
        const float d = CK_FN(half)(blk + 208);
        __m256i q[8], s16[8], s32[8];
        for (int h = 0; h < 2; h++) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)(blk + 64 * h));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(blk + 64 * h + 32));
            const __m256i hb = _mm256_loadu_si256((const __m256i *)(blk + 128 + 32 * h));
            q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(l0, low_mask),
                _mm256_slli_epi16(_mm256_and_si256(hb, two_bits), 4));
            q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(l1, low_mask),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), two_bits), 4));
            q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low_mask),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), two_bits), 4));
            q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low_mask),
                _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), two_bits), 4));
        }
        for (int c = 0; c < 8; c++) {
            s16[c] = _mm256_set_m128i(_mm_set1_epi16(sc[2 * c + 1]), _mm_set1_epi16(sc[2 * c]));
            s32[c] = _mm256_set_m128i(_mm_set1_epi32(sc[2 * c + 1]), _mm_set1_epi32(sc[2 * c]));
        }
        for (int b = 0; b < nb; b++) {
            const size_t row = (size_t)(b0 + b);
            const int8_t *aq = a->act_quants + row * a->columns + (size_t)i * 256;
            __m256i sumi = _mm256_setzero_si256();
            for (int c = 0; c < 8; c++) {
                const __m256i av = _mm256_loadu_si256((const __m256i *)(aq + 32 * c));
                sumi = _mm256_add_epi32(sumi, CK_FN(dot_u8s8_scaled)(q[c], av, s16[c], s32[c]));
            }
            const int32_t *gs = a->act_group_sums + row * act_groups + (size_t)i * 16;
            int offset = 0;
            for (int g = 0; g < 16; g++) offset += sc[g] * gs[g];
            const float dk = a->act_scales[row * act_blocks + i];
            acc[b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(d * dk), acc[b]);
            extra[b] -= 32 * d * dk * (float)offset;
        }
    }
    for (int b = 0; b < nb; b++) out[(size_t)b * a->out_stride] = CK_FN(hsum)(acc[b]) + extra[b];
}

CK_INLINE float CK_FN(hmax)(__m256 v) {
    __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_max_ps(x, _mm_movehl_ps(x, x));
    x = _mm_max_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

/// n (a multiple of 32) floats × inverse → int8 (nearest even), returning Σq over each
/// 16 values in group_sums when it is non-null and the total otherwise.
CK_INLINE int CK_FN(quantize_span)(const float *x, int n, float inverse, int8_t *q, int32_t *group_sums) {
    const __m256 mul = _mm256_set1_ps(inverse);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int total = 0;
    for (int i = 0; i < n; i += 32) {
        __m256i v[4];
        for (int j = 0; j < 4; j++) {
            const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), mul);
            v[j] = _mm256_cvtps_epi32(_mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        }
        // Sums per 16 values before packing (packs interleave lanes).
        const __m256i s01 = _mm256_add_epi32(v[0], v[1]), s23 = _mm256_add_epi32(v[2], v[3]);
        const int g0 = CK_FN(hsum_i32)(s01), g1 = CK_FN(hsum_i32)(s23);
        if (group_sums) { group_sums[i / 16] = g0; group_sums[i / 16 + 1] = g1; }
        total += g0 + g1;
        const __m256i p01 = _mm256_packs_epi32(v[0], v[1]);
        const __m256i p23 = _mm256_packs_epi32(v[2], v[3]);
        __m256i bytes = _mm256_packs_epi16(p01, p23);
        bytes = _mm256_permutevar8x32_epi32(bytes, order);
        _mm256_storeu_si256((__m256i *)(q + i), bytes);
    }
    return total;
}

CK_INLINE float CK_FN(absmax)(const float *x, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
    return CK_FN(hmax)(m);
}

static void CK_FN(quantize_blocks32)(const float *x, int columns, int8_t *q, float *scales, float *sums) {
    for (int b = 0; b < columns / 32; b++) {
        const float amax = CK_FN(absmax)(x + 32 * b, 32);
        const float d = amax / 127;
        const float inverse = d != 0 ? 1 / d : 0;
        const int total = CK_FN(quantize_span)(x + 32 * b, 32, inverse, q + 32 * b, 0);
        scales[b] = d;
        sums[b] = d * (float)total;
    }
}

static void CK_FN(quantize_blocks256)(const float *x, int columns, int8_t *q, float *scales, int32_t *group_sums) {
    for (int b = 0; b < columns / 256; b++) {
        const float amax = CK_FN(absmax)(x + 256 * b, 256);
        const float d = amax / 127;
        const float inverse = d != 0 ? 1 / d : 0;
        CK_FN(quantize_span)(x + 256 * b, 256, inverse, q + 256 * b, group_sums + 16 * b);
        scales[b] = d;
    }
}

// ---- Register-tiled batched kernel for the 32-value block formats (Q4_0, Q4_1, Q8_0) ----
//
// The activation rows arrive interleaved in groups of CK_TILE_GROUP columns (see
// ck_quantize_blocks32_tiled): for block i and each run of 4 values g, the 4 bytes of the
// group's 8 columns side by side, so one 32-byte load holds a 4-value slice of 8 columns and
// one vpdpbusd with a weight dword broadcast to every lane adds that slice's products into
// 8 per-column int32 sums. A tile of CK_TILE_ROWS weight rows × 16 columns keeps its 8
// integer and 8 float accumulators in registers: each weight dword is loaded once per
// 16 columns, each activation slice once per tile of rows, and the float work (convert,
// scale, min term) is paid once per block per 8 columns instead of once per column.
//
// Weights are first unpacked per tile of rows to unsigned bytes u with value = d·u + m per
// block (Q4_1: m its minimum; Q4_0: u = q, m = −8d; Q8_0: u = q xor 0x80 = q + 128, m =
// −128d). For Q4_0 and Q8_0 the offset is taken out in integers (the accumulators start at
// −offset·Σq), so their sums are exactly the reference's integer dot products.

/// acc + 4-byte dot products of u (unsigned) and s (signed) per int32 lane.
CK_INLINE __m256i CK_FN(dpbusd)(__m256i acc, __m256i u, __m256i s) {
#ifdef CK_VNNI
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
#endif
}

#ifdef CK_VNNI
#define CK_TILE_ROWS 4  // 8 int + 8 float accumulators fit in AVX-512VL's 32 ymm registers
#else
#define CK_TILE_ROWS 2  // AVX2 has 16 ymm registers
#endif

/// Rows [r0, r0 + nr) of the chunk unpacked to unsigned bytes (row r at u + r·columns) with
/// per-block d and m (row r at d + r·blocks).
CK_INLINE void CK_FN(unpack_rows_32)(const ck_matmul_args *a, int r0, int nr, uint8_t *u, float *d, float *m, const int kind) {
    const int blocks = a->columns / 32;
    const int block_bytes = CK_FN(block_bytes_32)(kind);
    for (int r = 0; r < nr; r++) {
        const uint8_t *w = a->weights + (size_t)(r0 + r) * a->row_bytes;
        for (int i = 0; i < blocks; i++) {
            const uint8_t *blk = w + (size_t)i * block_bytes;
            const float scale = CK_FN(half)(blk);
            __m256i q;
            float offset;
            if (kind == 2) {
                q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 2)), _mm256_set1_epi8((char)0x80));
                offset = -128 * scale;
            } else if (kind == 1) {
                q = CK_FN(unpack_nibbles)(blk + 4);
                offset = CK_FN(half)(blk + 2);
            } else {
                q = CK_FN(unpack_nibbles)(blk + 2);
                offset = -8 * scale;
            }
            _mm256_storeu_si256((__m256i *)(u + (size_t)r * a->columns + 32 * (size_t)i), q);
            d[r * blocks + i] = scale;
            m[r * blocks + i] = offset;
        }
    }
}

/// nr unpacked rows (nr ≤ CK_TILE_ROWS) × column groups t (and t + 1 when ng is 2), all
/// blocks, written to out. nr, ng and kind are constants at every call site, so the
/// accumulator arrays stay in registers.
CK_INLINE void CK_FN(tile_32)(const ck_matmul_args *a, const uint8_t *u, const float *d, const float *m,
                              int r0, int t, const int nr, const int ng, const int kind) {
    const int blocks = a->columns / 32;
    const size_t group_bytes = (size_t)blocks * 256;
    const size_t group_blocks = (size_t)blocks * CK_TILE_GROUP;
    __m256 accf[CK_TILE_ROWS][2];
    for (int r = 0; r < nr; r++) for (int c = 0; c < ng; c++) accf[r][c] = _mm256_setzero_ps();
    const int8_t *tq = a->tiled.quants + (size_t)t * group_bytes;
    const float *ts = a->tiled.scales + (size_t)t * group_blocks;
    const float *tsum = a->tiled.sums + (size_t)t * group_blocks;
    const int32_t *tqs = a->tiled.qsums + (size_t)t * group_blocks;
    for (int i = 0; i < blocks; i++) {
        __m256i acci[CK_TILE_ROWS][2];
        for (int c = 0; c < ng; c++) {
            __m256i start = _mm256_setzero_si256();
            // Q4_0 and Q8_0: u = q + offset, so Σ u·a = Σ q·a + offset·Σa; start at −offset·Σa.
            if (kind != 1) {
                const __m256i qs = _mm256_loadu_si256((const __m256i *)(tqs + c * group_blocks + (size_t)i * CK_TILE_GROUP));
                start = _mm256_sub_epi32(start, _mm256_slli_epi32(qs, kind == 2 ? 7 : 3));
            }
            for (int r = 0; r < nr; r++) acci[r][c] = start;
        }
        const int8_t *q0 = tq + (size_t)i * 256;
        for (int g = 0; g < 8; g++) {
            __m256i act[2];
            for (int c = 0; c < ng; c++) act[c] = _mm256_load_si256((const __m256i *)(q0 + c * group_bytes + 32 * g));
            for (int r = 0; r < nr; r++) {
                int32_t word;
                __builtin_memcpy(&word, u + (size_t)r * a->columns + 32 * (size_t)i + 4 * g, 4);
                const __m256i wb = _mm256_set1_epi32(word);
                for (int c = 0; c < ng; c++) acci[r][c] = CK_FN(dpbusd)(acci[r][c], wb, act[c]);
            }
        }
        for (int c = 0; c < ng; c++) {
            const __m256 da = _mm256_loadu_ps(ts + c * group_blocks + (size_t)i * CK_TILE_GROUP);
            __m256 sums = _mm256_setzero_ps();
            if (kind == 1) sums = _mm256_loadu_ps(tsum + c * group_blocks + (size_t)i * CK_TILE_GROUP);
            for (int r = 0; r < nr; r++) {
                const __m256 scale = _mm256_mul_ps(_mm256_set1_ps(d[r * blocks + i]), da);
                // Q4_1's block value (d·dₐ·isum + m·Σa) is formed before it joins the
                // accumulator: one dependent add per block, as in the row kernel.
                if (kind == 1) {
                    const __m256 value = _mm256_mul_ps(_mm256_cvtepi32_ps(acci[r][c]), scale);
                    accf[r][c] = _mm256_add_ps(accf[r][c], _mm256_fmadd_ps(_mm256_set1_ps(m[r * blocks + i]), sums, value));
                } else {
                    accf[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acci[r][c]), scale, accf[r][c]);
                }
            }
        }
    }
    for (int c = 0; c < ng; c++) {
        const int first = (t + c) * CK_TILE_GROUP;
        const int count = a->batch - first < CK_TILE_GROUP ? a->batch - first : CK_TILE_GROUP;
        for (int r = 0; r < nr; r++) {
            float lanes[CK_TILE_GROUP];
            _mm256_storeu_ps(lanes, accf[r][c]);
            for (int j = 0; j < count; j++) a->out[(size_t)(first + j) * a->out_stride + r0 + r] = lanes[j];
        }
    }
}

CK_INLINE void CK_FN(tile_32_rows)(const ck_matmul_args *a, const uint8_t *u, const float *d, const float *m,
                                   int r0, int t, const int nr, int ng, const int kind) {
    if (ng == 2) CK_FN(tile_32)(a, u, d, m, r0, t, nr, 2, kind);
    else CK_FN(tile_32)(a, u, d, m, r0, t, nr, 1, kind);
}

/// The chunk's rows CK_TILE_ROWS at a time: unpack them, then every pair of column groups.
CK_INLINE void CK_FN(matmul_tiled_32)(const ck_matmul_args *a, const int kind) {
    const int blocks = a->columns / 32;
    const int groups = (a->batch + CK_TILE_GROUP - 1) / CK_TILE_GROUP;
    uint8_t u[CK_TILE_ROWS * a->columns];
    float d[CK_TILE_ROWS * blocks], m[CK_TILE_ROWS * blocks];
    for (int r0 = 0; r0 < a->rows; r0 += CK_TILE_ROWS) {
        const int nr = a->rows - r0 < CK_TILE_ROWS ? a->rows - r0 : CK_TILE_ROWS;
        CK_FN(unpack_rows_32)(a, r0, nr, u, d, m, kind);
        // The next tile's weights come from DRAM while this one computes.
        if (r0 + CK_TILE_ROWS < a->rows) {
            const uint8_t *next = a->weights + (size_t)(r0 + CK_TILE_ROWS) * a->row_bytes;
            const size_t bytes = (size_t)(a->rows - r0 - CK_TILE_ROWS < CK_TILE_ROWS ? a->rows - r0 - CK_TILE_ROWS : CK_TILE_ROWS) * a->row_bytes;
            for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch((const char *)(next + offset), _MM_HINT_T0);
        }
        for (int t = 0; t < groups; t += 2) {
            const int ng = groups - t < 2 ? groups - t : 2;
            switch (nr) {
#if CK_TILE_ROWS > 2
            case 4: CK_FN(tile_32_rows)(a, u, d, m, r0, t, 4, ng, kind); break;
            case 3: CK_FN(tile_32_rows)(a, u, d, m, r0, t, 3, ng, kind); break;
#endif
            case 2: CK_FN(tile_32_rows)(a, u, d, m, r0, t, 2, ng, kind); break;
            default: CK_FN(tile_32_rows)(a, u, d, m, r0, t, 1, ng, kind); break;
            }
        }
    }
}

/// One activation row as column `column` of the tiled layout (Q8_0-style blocks of 32, as
/// quantize_blocks32 makes them) that matmul_tiled_32 reads; x null writes a zero column
/// (padding up to a whole group).
static void CK_FN(quantize_blocks32_tiled)(const float *x, int columns, int column, const ck_tiled_acts *t) {
    const int blocks = columns / 32;
    const int lane = column % CK_TILE_GROUP;
    int8_t *quants = t->quants + (size_t)(column / CK_TILE_GROUP) * blocks * 256 + 4 * lane;
    const size_t first = (size_t)(column / CK_TILE_GROUP) * blocks * CK_TILE_GROUP + lane;
    for (int b = 0; b < blocks; b++) {
        int8_t q[32] = {0};
        float d = 0;
        int total = 0;
        if (x) {
            d = CK_FN(absmax)(x + 32 * b, 32) / 127;
            total = CK_FN(quantize_span)(x + 32 * b, 32, d != 0 ? 1 / d : 0, q, 0);
        }
        for (int g = 0; g < 8; g++) __builtin_memcpy(quants + (size_t)b * 256 + 32 * g, q + 4 * g, 4);
        t->scales[first + (size_t)b * CK_TILE_GROUP] = d;
        t->sums[first + (size_t)b * CK_TILE_GROUP] = d * (float)total;
        t->qsums[first + (size_t)b * CK_TILE_GROUP] = total;
    }
}

/// Rows of the chunk in order (the K formats); for each weight row, the activation rows in
/// groups of four so the row's unpacked blocks are reused from registers and the row itself
/// from L1.
#define CK_ROWS(name, call) \
    static void CK_FN(name)(const ck_matmul_args *a) { \
        for (int r = 0; r < a->rows; r++) { \
            const uint8_t *w = a->weights + (size_t)r * a->row_bytes; \
            for (int b0 = 0; b0 < a->batch; b0 += 4) { \
                float *out = a->out + (size_t)b0 * a->out_stride + r; \
                switch (a->batch - b0) { \
                case 1: call(w, a, b0, 1, out); break; \
                case 2: call(w, a, b0, 2, out); break; \
                case 3: call(w, a, b0, 3, out); break; \
                default: call(w, a, b0, 4, out); break; \
                } \
            } \
        } \
    }

/// The 32-value block formats take the tiled kernel when the caller quantized the
/// activations into the tiled layout, the row kernel otherwise.
#define CK_BLOCKS32(name, kind) \
    static void CK_FN(matmul_##name)(const ck_matmul_args *a) { \
        if (a->tiled.quants) CK_FN(matmul_tiled_32)(a, kind); \
        else CK_FN(matmul_rows_32)(a, kind); \
    }
CK_BLOCKS32(q4_0, 0)
CK_BLOCKS32(q4_1, 1)
CK_BLOCKS32(q8_0, 2)
#undef CK_BLOCKS32
CK_ROWS(matmul_q4_k, CK_FN(row_q4_k))
CK_ROWS(matmul_q6_k, CK_FN(row_q6_k))
#undef CK_ROWS
#undef CK_TILE_ROWS
#undef CK_INLINE
