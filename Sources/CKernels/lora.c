#include "apus_kernels.h"
#include "apus_lora.h"

#include <math.h>

/* Multi-LoRA shrink and expand (see apus_lora.h). Each kernel walks the adapter's matrix in the outer loop and
 * the listed rows inside, so a slice of A (four rows of k floats) or a panel of Bᵀ (rank × 32 floats, contiguous)
 * stays in L1 while every row of the group uses it: an adapter's weights stream from memory once per linear layer
 * and step, in long sequential runs, whatever number of rows run with it. */

static inline const float *row_of(const float *base, const int32_t *rows, int i, int rowBase, size_t ld) {
    return base + (size_t)(rows[i] - rowBase) * ld;
}

/* Column o of the packed Bᵀ: its value for j = 0 is here, the next j APUS_LORA_PANEL floats on. */
static inline const float *panel(const float *bt, int rank, int o) {
    return bt + ((size_t)(o / APUS_LORA_PANEL) * rank * APUS_LORA_PANEL + o % APUS_LORA_PANEL);
}

static void shrink_plain(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt) {
    for (int j = jBegin; j < jEnd; j++) {
        const float *aj = a + (size_t)j * k;
        for (int i = 0; i < nrows; i++) {
            const float *xr = row_of(x, rows, i, rowBase, ldx);
            float s = 0;
            for (int q = 0; q < k; q++) s += xr[q] * aj[q];
            t[(size_t)i * ldt + j] = s;
        }
    }
}

static void expand_plain(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy) {
    for (int i = 0; i < nrows; i++) {
        float *yr = (float *)row_of(y, rows, i, rowBase, ldy);
        const float *ti = t + (size_t)i * ldt;
        for (int o = oBegin; o < oEnd; o++) {
            const float *b = panel(bt, rank, o);
            float acc = 0;
            for (int j = 0; j < rank; j++) acc += ti[j] * b[(size_t)j * APUS_LORA_PANEL];
            yr[o] += acc;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2F __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

AVX2F INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The dot products of R rows of x with J rows of A (R ≤ 2, J ≤ 4: at most eight accumulators, enough to keep both
 * FMA pipes busy), each in the one order of apus_lora.h: one 8-float accumulator over k in steps of 8, reduced,
 * then the k % 8 last terms. Every (row, j) pair gets the same operations in any tile, so tiles of any shape give
 * the same values. */
#define SHRINK_TILE(R, J)                                                                                           \
    {                                                                                                               \
        __m256 acc[R][J];                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int m = 0; m < J; m++) acc[r][m] = _mm256_setzero_ps();                                            \
        int q = 0;                                                                                                  \
        for (; q + 8 <= k; q += 8) {                                                                                \
            __m256 xv[R];                                                                                           \
            for (int r = 0; r < R; r++) xv[r] = _mm256_loadu_ps(xr[r] + q);                                         \
            for (int m = 0; m < J; m++) {                                                                           \
                const __m256 av = _mm256_loadu_ps(aj[m] + q);                                                       \
                for (int r = 0; r < R; r++) acc[r][m] = _mm256_fmadd_ps(xv[r], av, acc[r][m]);                      \
            }                                                                                                       \
        }                                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int m = 0; m < J; m++) {                                                                           \
                float s = hsum(acc[r][m]);                                                                          \
                for (int p = q; p < k; p++) s = fmaf(xr[r][p], aj[m][p], s);                                        \
                t[(size_t)(i + r) * ldt + j + m] = s;                                                               \
            }                                                                                                       \
    }

AVX2F static void shrink_avx2(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt) {
    for (int j = jBegin; j < jEnd; j += 4) {
        const float *aj[4];
        for (int m = 0; m < 4; m++) aj[m] = a + (size_t)(j + m < jEnd ? j + m : j) * k;
        const int nj = jEnd - j < 4 ? jEnd - j : 4;
        int i = 0;
        for (; i + 2 <= nrows; i += 2) {
            const float *xr[2] = {row_of(x, rows, i, rowBase, ldx), row_of(x, rows, i + 1, rowBase, ldx)};
            switch (nj) {
            case 4: SHRINK_TILE(2, 4) break;
            case 3: SHRINK_TILE(2, 3) break;
            case 2: SHRINK_TILE(2, 2) break;
            default: SHRINK_TILE(2, 1) break;
            }
        }
        if (i < nrows) {
            const float *xr[1] = {row_of(x, rows, i, rowBase, ldx)};
            switch (nj) {
            case 4: SHRINK_TILE(1, 4) break;
            case 3: SHRINK_TILE(1, 3) break;
            case 2: SHRINK_TILE(1, 2) break;
            default: SHRINK_TILE(1, 1) break;
            }
        }
    }
}

/* y[o ..< o + 8W] += Σ_j t_j · Bᵀ[j][o …] for R rows (R ≤ 2, W ≤ 4), one accumulator per row and 8 columns, j
 * from 0 up, reading Bᵀ from the panel of column o (`b`); the sum is formed before it is added to y. */
#define EXPAND_TILE(R, W)                                                                                           \
    {                                                                                                               \
        __m256 acc[R][W];                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int m = 0; m < W; m++) acc[r][m] = _mm256_setzero_ps();                                            \
        for (int j = 0; j < rank; j++) {                                                                            \
            __m256 bv[W];                                                                                           \
            for (int m = 0; m < W; m++) bv[m] = _mm256_loadu_ps(b + (size_t)j * APUS_LORA_PANEL + 8 * m);           \
            for (int r = 0; r < R; r++) {                                                                           \
                const __m256 tj = _mm256_set1_ps(ti[r][j]);                                                         \
                for (int m = 0; m < W; m++) acc[r][m] = _mm256_fmadd_ps(tj, bv[m], acc[r][m]);                      \
            }                                                                                                       \
        }                                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int m = 0; m < W; m++)                                                                             \
                _mm256_storeu_ps(yr[r] + o + 8 * m, _mm256_add_ps(_mm256_loadu_ps(yr[r] + o + 8 * m), acc[r][m]));  \
    }

AVX2F static void expand_avx2(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy) {
    int o = oBegin;
    /* Whole panels: each a contiguous rank × 32 block read once for all the rows. */
    for (; o + APUS_LORA_PANEL <= oEnd; o += APUS_LORA_PANEL) {
        const float *b = panel(bt, rank, o);
        int i = 0;
        for (; i + 2 <= nrows; i += 2) {
            float *yr[2] = {(float *)row_of(y, rows, i, rowBase, ldy), (float *)row_of(y, rows, i + 1, rowBase, ldy)};
            const float *ti[2] = {t + (size_t)i * ldt, t + (size_t)(i + 1) * ldt};
            EXPAND_TILE(2, 4)
        }
        if (i < nrows) {
            float *yr[1] = {(float *)row_of(y, rows, i, rowBase, ldy)};
            const float *ti[1] = {t + (size_t)i * ldt};
            EXPAND_TILE(1, 4)
        }
    }
    /* The last, partial panel: 8 columns at a time, then one at a time (fmaf rounds as one lane of the FMA). */
    for (; o + 8 <= oEnd; o += 8) {
        const float *b = panel(bt, rank, o);
        for (int i = 0; i < nrows; i++) {
            float *yr[1] = {(float *)row_of(y, rows, i, rowBase, ldy)};
            const float *ti[1] = {t + (size_t)i * ldt};
            EXPAND_TILE(1, 1)
        }
    }
    for (; o < oEnd; o++) {
        const float *b = panel(bt, rank, o);
        for (int i = 0; i < nrows; i++) {
            float *yr = (float *)row_of(y, rows, i, rowBase, ldy);
            const float *ti = t + (size_t)i * ldt;
            float acc = 0;
            for (int j = 0; j < rank; j++) acc = fmaf(ti[j], b[(size_t)j * APUS_LORA_PANEL], acc);
            yr[o] += acc;
        }
    }
}
#endif

size_t apus_lora_packed_count(int rank, int n) {
    return (size_t)((n + APUS_LORA_PANEL - 1) / APUS_LORA_PANEL) * APUS_LORA_PANEL * (size_t)rank;
}

void apus_lora_pack(int rank, int n, const float *b, float scale, float *packed) {
    const int panels = (n + APUS_LORA_PANEL - 1) / APUS_LORA_PANEL;
    for (int p = 0; p < panels; p++)
        for (int j = 0; j < rank; j++)
            for (int c = 0; c < APUS_LORA_PANEL; c++) {
                const int o = p * APUS_LORA_PANEL + c;
                packed[((size_t)p * rank + j) * APUS_LORA_PANEL + c] = o < n ? scale * b[(size_t)o * rank + j] : 0;
            }
}

void apus_lora_shrink(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt) {
#if defined(__x86_64__)
    if (apus_gemm_best_isa() >= 1) {
        shrink_avx2(nrows, rows, rowBase, x, ldx, k, a, jBegin, jEnd, t, ldt);
        return;
    }
#endif
    shrink_plain(nrows, rows, rowBase, x, ldx, k, a, jBegin, jEnd, t, ldt);
}

void apus_lora_expand(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy) {
#if defined(__x86_64__)
    if (apus_gemm_best_isa() >= 1) {
        expand_avx2(nrows, rows, rowBase, t, ldt, rank, bt, n, oBegin, oEnd, y, ldy);
        return;
    }
#endif
    expand_plain(nrows, rows, rowBase, t, ldt, rank, bt, n, oBegin, oEnd, y, ldy);
}
