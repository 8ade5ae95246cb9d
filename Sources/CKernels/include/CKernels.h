#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CKActivations.h"
#include "CKAttention.h"
#include "CKFloatRows.h"

/// Hint to the core that the caller is spinning (x86 PAUSE), so a sibling hyperthread
/// gets the pipeline and the spin loop draws less power.
static inline void ck_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Instruction sets the integer dot products can use on this CPU, probed once.
typedef enum {
    CK_ISA_NONE = 0,        ///< no vector kernel: callers use their portable path
    CK_ISA_AVX2 = 1,        ///< AVX2 + FMA + F16C (vpmaddubsw / vpmaddwd)
    CK_ISA_AVX512VNNI = 2,  ///< AVX2 kernels with 256-bit vpdpbusd (AVX512-VNNI + VL)
} ck_isa;

ck_isa ck_detect_isa(void);

/// Columns per group of the tiled activation layout: one 256-bit vector of int32 sums.
#define CK_TILE_GROUP 8

/// Activation rows quantized like ck_quantize_blocks32 and interleaved for the tiled
/// Q4_0 / Q4_1 / Q8_0 kernel, in groups of CK_TILE_GROUP columns (activation rows). Group t
/// starts at quants + t·(columns/32)·256: for each block i and each run g of 4 values,
/// 32 bytes: the 4 quants of column 0, of column 1, … of column 7. Per group, per block,
/// per column (index (t·blocks + i)·8 + lane): the scale d, d·Σq, and the integer Σq.
typedef struct {
    int8_t *quants;
    float *scales;
    float *sums;
    int32_t *qsums;
} ck_tiled_acts;

/// One chunk of a quantized matrix times a batch of activation rows already quantized to
/// 8 bits. Weights are ggml blocks, `row_bytes` apart; activation row b starts at
/// `act_quants + b * columns` and its per-32 scales and sums at `b * (columns / 32)`, its
/// per-16 integer sums at `b * (columns / 16)`. Writes out[b * out_stride + r] for r in
/// 0..<rows and b in 0..<batch.
typedef struct {
    const uint8_t *weights;
    size_t row_bytes;
    int rows;
    int columns;
    const int8_t *act_quants;
    const float *act_scales;   ///< d per 32 values (Q8_0 style); for Q8_K style, slot k holds block k's d (per 256)
    const float *act_sums;     ///< d * sum(q) per 32 values (Q4_0, Q4_1)
    const int32_t *act_group_sums; ///< sum(q) per 16 values (Q4_K, Q6_K)
    int batch;
    float *out;
    int out_stride;
    ck_isa isa;
    /// The same activations in the tiled layout, or all null. When set (Q4_0, Q4_1, Q8_0
    /// only; Q8_0 only with CK_ISA_AVX512VNNI, whose vpdpbusd takes bytes up to 255 without
    /// saturating), the tiled kernel runs and the row-major fields are not read.
    ck_tiled_acts tiled;
} ck_matmul_args;

/// One activation row of `columns` floats to 8 bits in Q8_0-style blocks of 32: quants,
/// per-block scale d = absmax/127 and d·Σq. Rounds to nearest even, like the Swift path.
void ck_quantize_blocks32(const float *x, int columns, int8_t *quants, float *scales, float *sums, ck_isa isa);

/// One activation row in Q8_K-style blocks of 256: quants, d per block, Σq per 16 values.
void ck_quantize_blocks256(const float *x, int columns, int8_t *quants, float *scales, int32_t *group_sums, ck_isa isa);

/// Activation row `column` (x, `columns` floats) into the tiled layout `t`; x null writes
/// the zero column that pads the last group. Same quants, scales and sums as
/// ck_quantize_blocks32.
void ck_quantize_blocks32_tiled(const float *x, int columns, int column, const ck_tiled_acts *t, ck_isa isa);

void ck_matmul_q4_0(const ck_matmul_args *args);
void ck_matmul_q4_1(const ck_matmul_args *args);
void ck_matmul_q8_0(const ck_matmul_args *args);
void ck_matmul_q4_k(const ck_matmul_args *args);
void ck_matmul_q6_k(const ck_matmul_args *args);

#endif
