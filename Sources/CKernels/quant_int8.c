#include "apus_kernels.h"
#include "apus_quant.h"
#include "quant_int8.h"

#include <stdlib.h>

/* Mid-size batches: int8 products in tiles of weight rows × activation groups. Each tile of weight rows is unpacked
 * once into bytes (a few KB, in L1) and met by every group of X, whose prepared tiles stay in L2; the kernels keep a
 * tile's sums in registers for the whole width. See quant_int8.h for the arithmetic. */

static int is_quantized(int type) {
    return apus_quant_known(type) && type != APUS_GGML_F32 && type != APUS_GGML_F16 && type != APUS_GGML_BF16;
}

/* Activation groups of `rows` rows: two per 16 rows when split (the rows' quantization, then its residual's). */
static int groups_of(int rows, int split) {
    return (rows + APUS_INT8_GROUP - 1) / APUS_INT8_GROUP * (split ? 2 : 1);
}

size_t apus_quant_int8_act_bytes(int rows, int k, int split) {
    return (size_t)groups_of(rows, split) * (size_t)(k / 32) * sizeof(act_tile32);
}

void apus_quant_int8_prepare(int isa, int rows, int k, const float *x, size_t ldx, int split, void *act) {
    const size_t blocks = (size_t)(k / 32);
    act_tile32 *tiles = act;
    /* The lanes past the last row multiply as zeros (their sums are never stored). */
    if (rows % APUS_INT8_GROUP) {
        const int last = groups_of(rows, split) - (split ? 2 : 1);
        memset(tiles + last * blocks, 0, (split ? 2 : 1) * blocks * sizeof(act_tile32));
    }
    for (int r = 0; r < rows; r++) {
        act_tile32 *group = tiles + (size_t)(r / APUS_INT8_GROUP * (split ? 2 : 1)) * blocks;
        act_tile32 *residual = split ? group + blocks : 0;
        const int lane = r % APUS_INT8_GROUP;
#if defined(__x86_64__)
        if (isa >= 1) {
            apus_int8_quantize_avx2(k, x + (size_t)r * ldx, group, residual, lane);
            continue;
        }
#endif
        apus_int8_quantize_plain(k, x + (size_t)r * ldx, group, residual, lane);
    }
}

/* A per-thread buffer for APUS_INT8_MAX_ROWS unpacked weight rows of width k. */
static int8_weights scratch(int type, int k) {
    static _Thread_local uint8_t *block;
    static _Thread_local size_t capacity;
    const int subBlocks = k / apus_int8_sub(type);
    const size_t bytes = (size_t)APUS_INT8_MAX_ROWS * ((size_t)k + 2 * sizeof(float) * (size_t)subBlocks);
    if (capacity < bytes) {
        free(block);
        block = aligned_alloc(64, (bytes + 63) / 64 * 64);
        capacity = block ? bytes : 0;
    }
    int8_weights w = {block, 0, 0, k, subBlocks};
    if (block) {
        w.dw = (float *)(block + (size_t)APUS_INT8_MAX_ROWS * k);
        w.cw = w.dw + (size_t)APUS_INT8_MAX_ROWS * subBlocks;
    }
    return w;
}

void apus_int8_store(const float *sums, int rows, int groups, const int8_output *o) {
    for (int g = 0; g < groups; g++) {
        const int first = (o->split ? g / 2 : g) * APUS_INT8_GROUP, add = o->accumulate || (o->split && g % 2);
        for (int lane = 0; lane < APUS_INT8_GROUP && first + lane < o->valid; lane++) {
            float *cr = o->c + (size_t)(first + lane) * o->ldc;
            for (int j = 0; j < rows; j++) {
                const float v = sums[((size_t)j * groups + g) * APUS_INT8_GROUP + lane];
                cr[j] = add ? cr[j] + v : v;
            }
        }
    }
}

/* Weight rows j0 ..< j0 + n unpacked into rows 0 ..< n of `out`, and the next n rows on their way from memory.
 * NOTE: without the prefetch every tile's unpacking waits on DRAM (a decode step's weights are not in cache; 4 Q4_1
 * rows of 576 are 1.4 KB). */
static void unpack_tile(
    int isa, int type, const void *w, size_t rowBytes, int j0, int n, int next, const int8_weights *out) {
    const char *ahead = (const char *)w + (size_t)(j0 + n) * rowBytes;
    for (size_t at = 0; at < (size_t)next * rowBytes; at += 64) __builtin_prefetch(ahead + at);
    for (int j = 0; j < n; j++) {
        const void *row = (const uint8_t *)w + (size_t)(j0 + j) * rowBytes;
#if defined(__x86_64__)
        if (isa >= 1) {
            apus_int8_unpack_avx2(type, row, out, j);
            continue;
        }
#endif
        apus_int8_unpack_plain(type, row, out, j);
    }
}

/* Bytes of activation tiles one pass over the weight rows multiplies: they stay in L2 (1–2 MB per core on current
 * x86) while every tile of weight rows meets them; more rows take several passes, each unpacking W again. */
#define PASS_BYTES (256 * 1024)

int apus_quant_int8_gemm(
    int isa, int type, int rows, int k, const void *act, int split, const void *w, size_t rowBytes, float *c,
    size_t ldc, int rowBegin, int rowEnd, int accumulate) {
    if (isa > apus_gemm_best_isa() || !is_quantized(type)) return -1;
    apus_int8_tile_kernel kernel = 0;
#if defined(__x86_64__)
    if (isa >= 2) kernel = apus_int8_tile_vnni(type);
    if (isa >= 1 && !kernel) kernel = apus_int8_tile_avx2(type);
#endif
    const int8_weights unpacked = scratch(type, k);
    if (!unpacked.u) return -2;
    const int groups = groups_of(rows, split), blocks = k / 32;
    const size_t groupBytes = (size_t)blocks * sizeof(act_tile32);
    const int pass = groupBytes * APUS_INT8_MAX_GROUPS >= PASS_BYTES
                         ? APUS_INT8_MAX_GROUPS
                         : (int)(PASS_BYTES / groupBytes) / APUS_INT8_MAX_GROUPS * APUS_INT8_MAX_GROUPS;
    const act_tile32 *tiles = act;
    for (int p0 = 0; p0 < groups; p0 += pass) {
        const int p1 = groups - p0 < pass ? groups : p0 + pass;
        for (int j0 = rowBegin; j0 < rowEnd; j0 += APUS_INT8_MAX_ROWS) {
            const int n = rowEnd - j0 < APUS_INT8_MAX_ROWS ? rowEnd - j0 : APUS_INT8_MAX_ROWS;
            const int next = rowEnd - (j0 + n) < APUS_INT8_MAX_ROWS ? rowEnd - (j0 + n) : APUS_INT8_MAX_ROWS;
            unpack_tile(isa, type, w, rowBytes, j0, n, next, &unpacked);
            for (int g0 = p0; g0 < p1; g0 += APUS_INT8_MAX_GROUPS) {
                const int gn = p1 - g0 < APUS_INT8_MAX_GROUPS ? p1 - g0 : APUS_INT8_MAX_GROUPS;
                const int first = (split ? g0 / 2 : g0) * APUS_INT8_GROUP;
                const int8_output o = {c + (size_t)first * ldc + j0, ldc, rows - first, split, accumulate};
                const act_tile32 *a = tiles + (size_t)g0 * blocks;
                if (kernel) kernel(&unpacked, n, a, gn, &o);
                else apus_int8_tile_plain(type, &unpacked, n, a, gn, &o);
            }
        }
    }
    return 0;
}
