#include "apus_kernels.h"
#include "apus_quant.h"
#include "quant_blocks.h"

#include <stdlib.h>
#include <string.h>

/* Prefill-size products: the f32 GEMM does rows × 32 multiply-adds per weight, so dequantizing each weight once per
 * call costs little beside it. Groups of panels are dequantized into apus_pack_panels' layout in a per-thread
 * buffer small enough to stay in L2 while every row block of X streams past it. */

/* Floats of dequantized W per group of panels (256 KB: a 1 MB L2 keeps it beside the GEMM's packed X block). */
#define TILE_FLOATS (64 * 1024)

/* A per-thread buffer of at least `floats` floats, in one of two slots (the group of panels, and eight rows). */
static float *buffer(int slot, size_t floats) {
    static _Thread_local float *block[2];
    static _Thread_local size_t capacity[2];
    if (capacity[slot] < floats) {
        free(block[slot]);
        block[slot] = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        capacity[slot] = block[slot] ? floats : 0;
    }
    return block[slot];
}

/* dst[q · APUS_PANEL + i] = rows[i · k + q] for i < 8, q < k: eight dequantized rows into their panel columns. */
static void interleave8_plain(int k, const float *rows, float *dst) {
    for (int q = 0; q < k; q++)
        for (int i = 0; i < 8; i++) dst[(size_t)q * APUS_PANEL + i] = rows[(size_t)i * k + q];
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The same with 8 × 8 transposes: eight contiguous floats per store instead of one. */
__attribute__((target("avx2"))) static void interleave8_avx2(int k, const float *rows, float *dst) {
    int q = 0;
    for (; q + 8 <= k; q += 8) {
        __m256 r[8], t[8];
        for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(rows + (size_t)i * k + q);
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) {
            r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
            r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
            r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
            r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
        }
        /* r[0..3]: columns q+{0,1,2,3} (low halves) and q+{4,5,6,7} (high halves) of rows 0–3; r[4..7] of rows 4–7 */
        for (int i = 0; i < 4; i++) {
            _mm256_storeu_ps(dst + (size_t)(q + i) * APUS_PANEL, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
            _mm256_storeu_ps(dst + (size_t)(q + 4 + i) * APUS_PANEL, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
        }
    }
    for (; q < k; q++)
        for (int i = 0; i < 8; i++) dst[(size_t)q * APUS_PANEL + i] = rows[(size_t)i * k + q];
}
#endif

/* Panel p of W, dequantized into dst (k × APUS_PANEL floats, k-major; rows past n are zero), eight rows at a time
 * through `rows` (8 × k floats). */
static void dequantize_panel(
    int isa, int type, int k, const void *w, size_t rowBytes, int n, int p, float *rows, float *dst) {
    for (int j0 = 0; j0 < APUS_PANEL; j0 += 8) {
        for (int i = 0; i < 8; i++) {
            const int r = p * APUS_PANEL + j0 + i;
            if (r < n) apus_quant_dequantize(isa, type, (const char *)w + (size_t)r * rowBytes, rows + (size_t)i * k, k);
            else memset(rows + (size_t)i * k, 0, (size_t)k * sizeof(float));
        }
#if defined(__x86_64__)
        if (isa >= 1) {
            interleave8_avx2(k, rows, dst + j0);
            continue;
        }
#endif
        interleave8_plain(k, rows, dst + j0);
    }
}

int apus_quant_gemm(
    int isa, int type, int rows, int k, const float *x, size_t ldx, const void *w, size_t rowBytes, int n, float *c,
    size_t ldc, int panelBegin, int panelEnd, int accumulate) {
    if (isa > apus_gemm_best_isa() || !apus_quant_known(type)) return -1;
    const size_t panelFloats = (size_t)k * APUS_PANEL;
    const int group = panelFloats >= TILE_FLOATS ? 1 : (int)(TILE_FLOATS / panelFloats);
    float *tile = buffer(0, panelFloats * (size_t)group), *rows8 = buffer(1, (size_t)8 * k);
    if (!tile || !rows8) return -2;
    for (int p0 = panelBegin; p0 < panelEnd; p0 += group) {
        const int p1 = p0 + group < panelEnd ? p0 + group : panelEnd;
        for (int p = p0; p < p1; p++)
            dequantize_panel(isa, type, k, w, rowBytes, n, p, rows8, tile + (size_t)(p - p0) * panelFloats);
        /* The tile's panels are 0 ..< p1 − p0 of a weight whose first column is p0's. */
        const int status = apus_gemm_packed_strided(
            isa, rows, k, x, ldx, tile, panelFloats, n - p0 * APUS_PANEL, c + (size_t)p0 * APUS_PANEL, ldc, 0,
            p1 - p0, accumulate);
        if (status != 0) return status;
    }
    return 0;
}
