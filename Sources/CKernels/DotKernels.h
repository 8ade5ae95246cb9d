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

/// Q4_0 / Q4_1 / Q8_0 weight row × nb activation rows starting at b0. kind 0: Q4_0 (value =
/// d·(q−8)), 1: Q4_1 (d·q + m), 2: Q8_0 (d·q, signed). Two accumulator sets alternate over
/// blocks so the float FMA chains overlap.
CK_INLINE void CK_FN(row_32)(const uint8_t *w, const ck_matmul_args *a, int b0, const int nb, float *out, const int kind) {
    const int blocks = a->columns / 32;
    const int block_bytes = kind == 0 ? 18 : (kind == 1 ? 20 : 34);
    __m256 acc[2][4];
    float extra[4] = {0, 0, 0, 0};
    for (int b = 0; b < 4; b++) { acc[0][b] = _mm256_setzero_ps(); acc[1][b] = _mm256_setzero_ps(); }
    for (int i = 0; i < blocks; i++) {
        const uint8_t *blk = w + (size_t)i * block_bytes;
        const float d = CK_FN(half)(blk);
        float m = 0;
        __m256i wq;
        if (kind == 2) {
            wq = _mm256_loadu_si256((const __m256i *)(blk + 2));
        } else if (kind == 1) {
            m = CK_FN(half)(blk + 2);
            wq = CK_FN(unpack_nibbles)(blk + 4);
        } else {
            wq = CK_FN(unpack_nibbles)(blk + 2);
        }
        const __m256i wabs = kind == 2 ? _mm256_sign_epi8(wq, wq) : wq;
        for (int b = 0; b < nb; b++) {
            const size_t row = (size_t)(b0 + b);
            __m256i aq = _mm256_loadu_si256((const __m256i *)(a->act_quants + row * a->columns + (size_t)i * 32));
            if (kind == 2) aq = _mm256_sign_epi8(aq, wq);
            const __m256i dot = CK_FN(dot_u8s8)(wabs, aq);
            const float ad = a->act_scales[row * blocks + i];
            acc[i & 1][b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d * ad), acc[i & 1][b]);
            if (kind == 0) extra[b] -= 8 * d * a->act_sums[row * blocks + i];
            if (kind == 1) extra[b] += m * a->act_sums[row * blocks + i];
        }
    }
    for (int b = 0; b < nb; b++) {
        out[(size_t)b * a->out_stride] = CK_FN(hsum)(_mm256_add_ps(acc[0][b], acc[1][b])) + extra[b];
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

/// Rows of the chunk in order; for each weight row, the activation rows in groups of four so
/// the row's unpacked blocks are reused from registers and the row itself from L1.
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

#define CK_ROW_Q4_0(w, a, b0, nb, out) CK_FN(row_32)(w, a, b0, nb, out, 0)
#define CK_ROW_Q4_1(w, a, b0, nb, out) CK_FN(row_32)(w, a, b0, nb, out, 1)
#define CK_ROW_Q8_0(w, a, b0, nb, out) CK_FN(row_32)(w, a, b0, nb, out, 2)
CK_ROWS(matmul_q4_0, CK_ROW_Q4_0)
CK_ROWS(matmul_q4_1, CK_ROW_Q4_1)
CK_ROWS(matmul_q8_0, CK_ROW_Q8_0)
CK_ROWS(matmul_q4_k, CK_FN(row_q4_k))
CK_ROWS(matmul_q6_k, CK_FN(row_q6_k))
#undef CK_ROW_Q4_0
#undef CK_ROW_Q4_1
#undef CK_ROW_Q8_0
#undef CK_ROWS
#undef CK_INLINE
