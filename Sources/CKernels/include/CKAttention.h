#ifndef CK_ATTENTION_H
#define CK_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/// Where one KV head's tiles of one layer lie in a paged KV cache (see PagedKVCache).
typedef struct {
    /// The head's tile in block 0 of the layer; block b's tile is `tile_bytes * b` further.
    const uint8_t *tiles;
    /// Bytes of one head's tile (elements and scales), a multiple of 64.
    ptrdiff_t tile_bytes;
    ptrdiff_t value_offset;
    ptrdiff_t key_scale_offset;
    ptrdiff_t value_scale_offset;
    /// The block's key anchor (head_dim halves) that int8 keys are stored relative to.
    ptrdiff_t anchor_offset;
    int64_t head_dim;
} ck_kv_tiles;

/// Whether this CPU runs the AVX-512 attention kernels — AVX-512 F, BW, VBMI and VNNI, and
/// FMA (checked once by the caller).
int ck_attention_avx512_available(void);

/// One (token, KV head) item of paged attention over int8 (`format` 0) or fp16 (`format` 2)
/// tiles: `group` query heads (queries pre-multiplied by log2(e)/sqrt(head_dim)) over
/// positions 0..<visible, online softmax in base 2, result written to `output`. With int8
/// tiles each head's query is first rounded to two int8 parts, scale absmax/127 and a residual
/// 254 times finer (nearest even), so scores differ from the float ones by at most
/// scale/508 · Σ|k| per head and position; int8 keys are residuals from their block's fp16
/// anchor, whose score part (taken with the same rounded query, in float) is added per block.
/// Scratch: accumulators [group × head_dim], maxima, sums, corrections [group each],
/// weights [group × 16]; all 64-byte aligned regions.
void ck_attend_group_avx512(
    const ck_kv_tiles *kv, int32_t format, const int32_t *blocks, int64_t visible,
    const float *queries, int64_t group, float *accumulators, float *maxima, float *sums,
    float *corrections, float *weights, float *output);

#endif
