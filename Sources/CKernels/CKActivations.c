// Vector SwiGLU: glibc's expf runs one value at a time, and at batch 16 SmolLM2's MLP
// takes 16 × 1,536 of them per layer.
#include "CKActivations.h"

#if defined(__x86_64__)
#include <immintrin.h>

/// e^x for x in [−87.3, 88.3] (clamped there, so 2^n stays a normal float): x = n·ln2 + r
/// with |r| ≤ ln2/2 (ln2 split in two for an exact n·ln2), e^r by Cephes' degree-7
/// polynomial, 2^n built in the exponent bits.
__attribute__((target("avx2,fma")))
static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma")))
void ck_swiglu_avx2(float *gate, const float *up, int64_t count) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= count; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    if (i < count) {
        // The tail through one padded vector, so every value takes the same arithmetic.
        float g[8] = {0}, u[8] = {0};
        for (int64_t j = i; j < count; j++) { g[j - i] = gate[j]; u[j - i] = up[j]; }
        ck_swiglu_avx2(g, u, 8);
        for (int64_t j = i; j < count; j++) gate[j] = g[j - i];
    }
}

#else

void ck_swiglu_avx2(float *gate, const float *up, int64_t count) {
    (void)gate; (void)up; (void)count;
}

#endif
