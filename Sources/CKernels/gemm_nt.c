#include "apus_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* Tiles of MR rows of X by NR rows of W. Per step of 8 along K the 4×3 tile loads 3 W vectors and 4 X
 * vectors for 12 FMAs into 12 independent accumulators (16 ymm registers in all), enough to cover the FMA
 * latency on two pipes. W tiles are the outer loop, so each W row comes from memory once and is reused
 * from L1 for every row block of X (X itself stays in L2 for decode-size batches). */
#define MR 4
#define NR 3
#define AVX2 __attribute__((target("avx2,fma")))

int apus_kernels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* One mr × nr tile (mr ≤ MR, nr ≤ NR, both compile-time constants at every call site, so the loops unroll
 * and the accumulators live in registers). */
AVX2 static inline __attribute__((always_inline)) void tile(
    const int mr, const int nr, int k, const float *x, size_t ldx, const float *w, size_t ldw, float *c,
    size_t ldc, int accumulate, const float *prefetch) {
    __m256 acc[MR][NR];
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++) acc[i][j] = _mm256_setzero_ps();
    int p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 wv[NR];
        for (int j = 0; j < nr; j++) wv[j] = _mm256_loadu_ps(w + j * ldw + p);
        if (prefetch && (p & 15) == 0)
            for (int j = 0; j < NR; j++) _mm_prefetch((const char *)(prefetch + j * ldw + p), _MM_HINT_T0);
        for (int i = 0; i < mr; i++) {
            __m256 xv = _mm256_loadu_ps(x + i * ldx + p);
            for (int j = 0; j < nr; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
    for (int i = 0; i < mr; i++) {
        for (int j = 0; j < nr; j++) {
            float s = hsum(acc[i][j]);
            for (int q = p; q < k; q++) s += x[i * ldx + q] * w[j * ldw + q];
            float *out = c + i * ldc + j;
            *out = accumulate ? *out + s : s;
        }
    }
}

#define TILE(m, n) tile(m, n, k, xr, ldx, wr, ldw, cr, ldc, accumulate, NULL)
#define TILE_PF(m, n) tile(m, n, k, xr, ldx, wr, ldw, cr, ldc, accumulate, next)

AVX2 static void rowBlocks(
    const int nr, int rows, int k, const float *x, size_t ldx, const float *wr, size_t ldw, float *c, size_t ldc,
    int n, int accumulate, const float *next) {
    int m = 0;
    if (next && rows >= MR && nr == NR) {
        /* The first row block also pulls the next W tile toward L1 while the later blocks compute. */
        const float *xr = x;
        float *cr = c + n;
        TILE_PF(4, 3);
        m = MR;
    }
    for (; m + MR <= rows; m += MR) {
        const float *xr = x + (size_t)m * ldx;
        float *cr = c + (size_t)m * ldc + n;
        switch (nr) {
        case 3: TILE(4, 3); break;
        case 2: TILE(4, 2); break;
        default: TILE(4, 1); break;
        }
    }
    if (m == rows) return;
    const float *xr = x + (size_t)m * ldx;
    float *cr = c + (size_t)m * ldc + n;
    const int mr = rows - m;
    if (next && m == 0 && nr == NR) {
        switch (mr) {
        case 3: TILE_PF(3, 3); return;
        case 2: TILE_PF(2, 3); return;
        default: TILE_PF(1, 3); return;
        }
    }
    switch (mr * 4 + nr) {
    case 3 * 4 + 3: TILE(3, 3); break;
    case 3 * 4 + 2: TILE(3, 2); break;
    case 3 * 4 + 1: TILE(3, 1); break;
    case 2 * 4 + 3: TILE(2, 3); break;
    case 2 * 4 + 2: TILE(2, 2); break;
    case 2 * 4 + 1: TILE(2, 1); break;
    case 1 * 4 + 3: TILE(1, 3); break;
    case 1 * 4 + 2: TILE(1, 2); break;
    default: TILE(1, 1); break;
    }
}

AVX2 void apus_sgemm_nt(
    int rows, int k, const float *x, size_t ldx, const float *w, size_t ldw, float *c, size_t ldc, int nBegin,
    int nEnd, int accumulate) {
    int n = nBegin;
    for (; n + NR <= nEnd; n += NR) {
        const float *next = n + 2 * NR <= nEnd ? w + (size_t)(n + NR) * ldw : NULL;
        rowBlocks(NR, rows, k, x, ldx, w + (size_t)n * ldw, ldw, c, ldc, n, accumulate, next);
    }
    if (n < nEnd) rowBlocks(nEnd - n, rows, k, x, ldx, w + (size_t)n * ldw, ldw, c, ldc, n, accumulate, NULL);
}

#else

/* Other architectures: the callers use BLAS (available is 0); this plain loop only keeps the symbol defined. */
int apus_kernels_available(void) { return 0; }

void apus_sgemm_nt(
    int rows, int k, const float *x, size_t ldx, const float *w, size_t ldw, float *c, size_t ldc, int nBegin,
    int nEnd, int accumulate) {
    for (int m = 0; m < rows; m++)
        for (int n = nBegin; n < nEnd; n++) {
            float s = 0;
            for (int q = 0; q < k; q++) s += x[m * ldx + q] * w[n * ldw + q];
            c[m * ldc + n] = accumulate ? c[m * ldc + n] + s : s;
        }
}

#endif
