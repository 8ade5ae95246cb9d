#ifndef CK_ACTIVATIONS_H
#define CK_ACTIVATIONS_H

#include <stdint.h>

/// SwiGLU in place, gate[i] = silu(gate[i]) · up[i] for i in 0..<count, with AVX2 and a
/// polynomial e^x (Cephes' expf: a few ulp over the range SiLU needs); callers check
/// ck_detect_isa() != CK_ISA_NONE first.
void ck_swiglu_avx2(float *gate, const float *up, int64_t count);

#endif
