#ifndef APUS_QUANT_INT8_H
#define APUS_QUANT_INT8_H

/* The layouts of apus_quant_int8_gemm (not part of the module's interface): activations quantized per 32 values
 * and interleaved 16 rows at a time, and weight rows unpacked into unsigned bytes with a scale and a min per
 * sub-block. Every quantized type meets the same activations, so one prepared X serves stacked parts of any types.
 *
 * A weight value is dw · (u − offset) + cw per sub-block, u unsigned (0–63, or w + 128 for Q8_0), offset a power of
 * two or 0, cw 0 unless the type has mins. For one row of X (32 values q with scale d):
 *   Σ w · x = dw · d · (Σ u · q − offset · Σ q) + cw · d · Σ q
 * The integer part is exact in int32; the offset term starts the accumulator (−Σ q is stored, shifted per type). */

#include "quant_blocks.h"

#include <stddef.h>
#include <stdint.h>

/* Rows of X per activation group: one 32-bit lane of a 512-bit vector each. */
#define APUS_INT8_GROUP 16

/* 32 values of the 16 rows of a group: value 4g + i of row r at q[g][r][i], so one 64-byte load holds four
 * consecutive values of every row, and a multiply-add of 4 bytes per 32-bit lane meets the same 4 weights. */
typedef struct {
    int8_t q[8][APUS_INT8_GROUP][4];
    float d[APUS_INT8_GROUP];        /* max |x| / 127 */
    float s[APUS_INT8_GROUP];        /* d · Σ q: what a min multiplies */
    int32_t nsum[APUS_INT8_GROUP];   /* −Σ q */
    int32_t nsumLo[APUS_INT8_GROUP]; /* −Σ q of values 0–15 (Q6_K's sub-blocks of 16) */
} act_tile32;

/* Unpacked weight rows (up to APUS_INT8_MAX_ROWS): k unsigned values per row, `k` bytes apart, and per row and
 * sub-block its scale dw and min cw (`subBlocks` floats apart). */
typedef struct {
    uint8_t *u;
    float *dw, *cw;
    int k, subBlocks;
} int8_weights;

/* Values per weight block: 256 for the K types, 32 for the others. */
static inline int apus_int8_block(int type) {
    return type == APUS_GGML_Q4_K || type == APUS_GGML_Q5_K || type == APUS_GGML_Q6_K ? 256 : 32;
}

/* Values per sub-block of one scale: 16 for Q6_K, 32 for the others. */
static inline int apus_int8_sub(int type) { return type == APUS_GGML_Q6_K ? 16 : 32; }

/* log2 of the type's offset (Q4_0 8, Q5_0 16, Q6_K 32, Q8_0 128), or −1 when it has none. */
static inline int apus_int8_shift(int type) {
    switch (type) {
    case APUS_GGML_Q4_0: return 3;
    case APUS_GGML_Q5_0: return 4;
    case APUS_GGML_Q6_K: return 5;
    case APUS_GGML_Q8_0: return 7;
    default: return -1;
    }
}

/* Whether the type's values carry a min (cw ≠ 0). */
static inline int apus_int8_has_min(int type) {
    return type == APUS_GGML_Q4_1 || type == APUS_GGML_Q5_1 || type == APUS_GGML_Q4_K || type == APUS_GGML_Q5_K;
}

/* Unpacks weight row `w` (k values of `type`) into row `row` of `out`: plain C, and AVX2. */
void apus_int8_unpack_plain(int type, const void *w, const int8_weights *out, int row);
void apus_int8_unpack_avx2(int type, const void *w, const int8_weights *out, int row);

/* Quantizes row x (k values) into lane `lane` of the group of tiles at `tiles` (k / 32 of them), and, when
 * `residual` is not null, what that loses into the same lane of `residual`'s tiles: plain C, and AVX2 (identical
 * bytes and floats). */
void apus_int8_quantize_plain(int k, const float *x, act_tile32 *tiles, act_tile32 *residual, int lane);
void apus_int8_quantize_avx2(int k, const float *x, act_tile32 *tiles, act_tile32 *residual, int lane);

/* Where a kernel puts its sums: C from row 0 of the first group at `c` (column of weight row 0, rows `ldc` apart),
 * `valid` rows in all (the lanes past them are padding); each further group 16 rows down, or, when split, pairs of
 * groups (a group and its residual pass) summed into the same 16 rows. */
typedef struct {
    float *c;
    size_t ldc;
    int valid, split, accumulate;
} int8_output;

/* Stores sums[j][g][lane] (j < rows, g < groups) as `o` says. */
void apus_int8_store(const float *sums, int rows, int groups, const int8_output *o);

/* W row j · X row (group g, lane) for j < rows, g < groups of the weight rows in `w` (rows 0 ..< rows) and the
 * activation groups from `act` (k / 32 tiles per group), into C as `o` says: plain C, AVX2, and AVX-512 VNNI. */
typedef void (*apus_int8_tile_kernel)(
    const int8_weights *w, int rows, const act_tile32 *act, int groups, const int8_output *o);

/* Weight rows and activation groups each call of a kernel takes at most (groups: an even number, so split pairs
 * stay together). */
#define APUS_INT8_MAX_ROWS 4
#define APUS_INT8_MAX_GROUPS 2

void apus_int8_tile_plain(
    int type, const int8_weights *w, int rows, const act_tile32 *act, int groups, const int8_output *o);
/* The kernel of `type`; null when the CPU lacks the instructions (AVX-512 without VNNI). */
apus_int8_tile_kernel apus_int8_tile_avx2(int type);
apus_int8_tile_kernel apus_int8_tile_vnni(int type);

#endif
