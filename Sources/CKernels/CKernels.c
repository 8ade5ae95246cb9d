#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// The kernels are written once (DotKernels.h) and compiled twice: with AVX2 (byte dot
// products through vpmaddubsw + vpmaddwd) and with AVX512-VNNI's 256-bit vpdpbusd. The
// target attribute covers every function in between, so the rest of the library and its
// callers need no -mavx2 and the binary still runs on older CPUs.
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#define CK_FN(name) name##_avx2
#include "DotKernels.h"
#undef CK_FN
#pragma clang attribute pop

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni"))), apply_to = function)
#define CK_FN(name) name##_vnni
#define CK_VNNI 1
#include "DotKernels.h"
#undef CK_VNNI
#undef CK_FN
#pragma clang attribute pop

ck_isa ck_detect_isa(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return CK_ISA_NONE;
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw")) {
        return CK_ISA_AVX512VNNI;
    }
    return CK_ISA_AVX2;
}

#define CK_DISPATCH(name) \
    void ck_##name(const ck_matmul_args *args) { \
        if (args->isa == CK_ISA_AVX512VNNI) name##_vnni(args); \
        else if (args->isa == CK_ISA_AVX2) name##_avx2(args); \
    }

void ck_quantize_blocks32(const float *x, int columns, int8_t *quants, float *scales, float *sums, ck_isa isa) {
    if (isa == CK_ISA_AVX512VNNI) quantize_blocks32_vnni(x, columns, quants, scales, sums);
    else if (isa == CK_ISA_AVX2) quantize_blocks32_avx2(x, columns, quants, scales, sums);
}

void ck_quantize_blocks32_tiled(const float *x, int columns, int column, const ck_tiled_acts *t, ck_isa isa) {
    if (isa == CK_ISA_AVX512VNNI) quantize_blocks32_tiled_vnni(x, columns, column, t);
    else if (isa == CK_ISA_AVX2) quantize_blocks32_tiled_avx2(x, columns, column, t);
}

void ck_quantize_blocks256(const float *x, int columns, int8_t *quants, float *scales, int32_t *group_sums, ck_isa isa) {
    if (isa == CK_ISA_AVX512VNNI) quantize_blocks256_vnni(x, columns, quants, scales, group_sums);
    else if (isa == CK_ISA_AVX2) quantize_blocks256_avx2(x, columns, quants, scales, group_sums);
}

#else

ck_isa ck_detect_isa(void) { return CK_ISA_NONE; }
void ck_quantize_blocks32(const float *x, int columns, int8_t *quants, float *scales, float *sums, ck_isa isa) {
    (void)x; (void)columns; (void)quants; (void)scales; (void)sums; (void)isa;
}
void ck_quantize_blocks32_tiled(const float *x, int columns, int column, const ck_tiled_acts *t, ck_isa isa) {
    (void)x; (void)columns; (void)column; (void)t; (void)isa;
}
void ck_quantize_blocks256(const float *x, int columns, int8_t *quants, float *scales, int32_t *group_sums, ck_isa isa) {
    (void)x; (void)columns; (void)quants; (void)scales; (void)group_sums; (void)isa;
}
#define CK_DISPATCH(name) \
    void ck_##name(const ck_matmul_args *args) { (void)args; }

#endif

CK_DISPATCH(matmul_q4_0)
CK_DISPATCH(matmul_q4_1)
CK_DISPATCH(matmul_q8_0)
CK_DISPATCH(matmul_q4_k)
CK_DISPATCH(matmul_q6_k)
