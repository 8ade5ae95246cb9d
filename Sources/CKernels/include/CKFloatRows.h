#ifndef CK_FLOAT_ROWS_H
#define CK_FLOAT_ROWS_H

#include <stdint.h>

/// out[b * out_stride] = Σ_k row[k] · input[b * columns + k] for b in 0..<batch, in float
/// with AVX2 fused multiply-adds (callers check ck_detect_isa() != CK_ISA_NONE first).
void ck_float_rows_avx2(
    const float *row, const float *input, int64_t columns, int64_t batch, float *out, int64_t out_stride);

#endif
