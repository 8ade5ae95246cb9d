// Float dot products of one dequantized weight row with a batch of float activation rows:
// the unrounded matmul that DecodeKernels' floatMatmul runs for accuracy measurements.
#include "CKFloatRows.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma")))
void ck_float_rows_avx2(
    const float *row, const float *input, int64_t columns, int64_t batch, float *out, int64_t out_stride) {
    for (int64_t b = 0; b < batch; b++) {
        const float *x = input + b * columns;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 32 <= columns; k += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + k), _mm256_loadu_ps(x + k), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + k + 8), _mm256_loadu_ps(x + k + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + k + 16), _mm256_loadu_ps(x + k + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + k + 24), _mm256_loadu_ps(x + k + 24), a3);
        }
        for (; k + 8 <= columns; k += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + k), _mm256_loadu_ps(x + k), a0);
        __m256 sum = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
        __m128 half = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        half = _mm_add_ps(half, _mm_movehl_ps(half, half));
        half = _mm_add_ss(half, _mm_movehdup_ps(half));
        float total = _mm_cvtss_f32(half);
        for (; k < columns; k++) total += row[k] * x[k];
        out[b * out_stride] = total;
    }
}

#else

void ck_float_rows_avx2(
    const float *row, const float *input, int64_t columns, int64_t batch, float *out, int64_t out_stride) {
    (void)row; (void)input; (void)columns; (void)batch; (void)out; (void)out_stride;
}

#endif
