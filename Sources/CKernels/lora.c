#include "apus_kernels.h"
#include "apus_lora.h"

#include <math.h>

/* Multi-LoRA shrink and expand (see apus_lora.h). Each kernel walks the adapter's matrix in the outer loop and
 * the listed rows inside, so a slice of A (four rows of k floats) or of Bᵀ (rank × 32 floats) stays in L1 while
 * every row of the group uses it: an adapter's weights are read from memory once per linear layer and step,
 * whatever number of rows run with it. */

static inline const float *row_of(const float *base, const int32_t *rows, int i, int rowBase, size_t ld) {
    return base + (size_t)(rows[i] - rowBase) * ld;
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
            float acc = 0;
            for (int j = 0; j < rank; j++) acc += ti[j] * bt[(size_t)j * n + o];
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

/* x · a_j for `J` rows of A at once (J = 1 or 4), each in the one order of apus_lora.h: two 8-float accumulators
 * over 16-float steps, an 8-float step into the first, their sum reduced, then the k % 8 last terms. */
#define DOT_BODY(J)                                                                                                 \
    __m256 lo[J], hi[J];                                                                                            \
    for (int m = 0; m < J; m++) lo[m] = hi[m] = _mm256_setzero_ps();                                                \
    int q = 0;                                                                                                      \
    for (; q + 16 <= k; q += 16) {                                                                                  \
        const __m256 x0 = _mm256_loadu_ps(x + q), x1 = _mm256_loadu_ps(x + q + 8);                                  \
        for (int m = 0; m < J; m++) {                                                                               \
            lo[m] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(a[m] + q), lo[m]);                                          \
            hi[m] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(a[m] + q + 8), hi[m]);                                      \
        }                                                                                                           \
    }                                                                                                               \
    if (q + 8 <= k) {                                                                                               \
        const __m256 x0 = _mm256_loadu_ps(x + q);                                                                   \
        for (int m = 0; m < J; m++) lo[m] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(a[m] + q), lo[m]);                  \
        q += 8;                                                                                                     \
    }                                                                                                               \
    for (int m = 0; m < J; m++) {                                                                                   \
        float s = hsum(_mm256_add_ps(lo[m], hi[m]));                                                                \
        for (int r = q; r < k; r++) s = fmaf(x[r], a[m][r], s);                                                     \
        out[m] = s;                                                                                                 \
    }

AVX2F INLINE void dot4(const float *x, const float *const a[4], int k, float out[4]) { DOT_BODY(4) }

AVX2F INLINE void dot1(const float *x, const float *const a[1], int k, float out[1]) { DOT_BODY(1) }

AVX2F static void shrink_avx2(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt) {
    int j = jBegin;
    for (; j + 4 <= jEnd; j += 4) {
        const float *const aj[4] = {a + (size_t)j * k, a + (size_t)(j + 1) * k, a + (size_t)(j + 2) * k,
                                    a + (size_t)(j + 3) * k};
        for (int i = 0; i < nrows; i++) {
            float s[4];
            dot4(row_of(x, rows, i, rowBase, ldx), aj, k, s);
            for (int m = 0; m < 4; m++) t[(size_t)i * ldt + j + m] = s[m];
        }
    }
    for (; j < jEnd; j++) {
        const float *const aj[1] = {a + (size_t)j * k};
        for (int i = 0; i < nrows; i++) dot1(row_of(x, rows, i, rowBase, ldx), aj, k, t + (size_t)i * ldt + j);
    }
}

/* y[o ..< o + 8W] += Σ_j t_j · bt[j][o …] for one row, W ymm accumulators, j from 0 up. */
#define EXPAND_TILE(W)                                                                                              \
    {                                                                                                               \
        __m256 acc[W];                                                                                              \
        for (int m = 0; m < W; m++) acc[m] = _mm256_setzero_ps();                                                   \
        for (int j = 0; j < rank; j++) {                                                                            \
            const __m256 tj = _mm256_set1_ps(ti[j]);                                                                \
            const float *b = bt + (size_t)j * n + o;                                                                \
            for (int m = 0; m < W; m++) acc[m] = _mm256_fmadd_ps(tj, _mm256_loadu_ps(b + 8 * m), acc[m]);           \
        }                                                                                                           \
        for (int m = 0; m < W; m++) _mm256_storeu_ps(yr + o + 8 * m, _mm256_add_ps(_mm256_loadu_ps(yr + o + 8 * m), acc[m])); \
    }

AVX2F static void expand_avx2(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy) {
    int o = oBegin;
    for (; o + 32 <= oEnd; o += 32) {
        for (int i = 0; i < nrows; i++) {
            float *yr = (float *)row_of(y, rows, i, rowBase, ldy);
            const float *ti = t + (size_t)i * ldt;
            EXPAND_TILE(4)
        }
    }
    for (; o + 8 <= oEnd; o += 8) {
        for (int i = 0; i < nrows; i++) {
            float *yr = (float *)row_of(y, rows, i, rowBase, ldy);
            const float *ti = t + (size_t)i * ldt;
            EXPAND_TILE(1)
        }
    }
    /* The last columns one at a time: fmaf rounds exactly as one lane of _mm256_fmadd_ps. */
    for (; o < oEnd; o++) {
        for (int i = 0; i < nrows; i++) {
            float *yr = (float *)row_of(y, rows, i, rowBase, ldy);
            const float *ti = t + (size_t)i * ldt;
            float acc = 0;
            for (int j = 0; j < rank; j++) acc = fmaf(ti[j], bt[(size_t)j * n + o], acc);
            yr[o] += acc;
        }
    }
}
#endif

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
