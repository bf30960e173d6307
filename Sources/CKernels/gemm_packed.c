#include "apus_kernels.h"

#include <stdlib.h>

/* The GEMM of every linear layer: C[m, n] (+)= Σ_k X[m, k] · W[n, k], with W packed once at load time into
 * panels of APUS_PANEL output rows stored k-major (see apus_pack_panels), so each k step of a micro-kernel
 * reads APUS_PANEL consecutive floats of W — one sequential stream per panel, no per-call packing of W.
 *
 * Blocking (Goto/BLIS): per row block of MC rows of X and per KC-deep slice of K, the X block is packed once
 * (rows interleaved, MR at a time, so a micro-kernel broadcasts consecutive floats) and stays in L2; every W
 * panel's KC × APUS_PANEL sliver is then streamed once and reused from L1 by all MC/MR micro-kernels. The
 * micro-kernels keep an MR × APUS_PANEL tile of C in registers: 12 × 32 with AVX-512 (24 zmm accumulators),
 * 6 × 16 with AVX2 (12 ymm accumulators, on each half of a panel). */

#define MC 144
/* Batches up to this many rows are decode-size (see apus_gemm_packed). */
#define DECODE_ROWS 64

enum { ISA_PLAIN = 0, ISA_AVX2 = 1, ISA_AVX512 = 2 };

static int detect(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISA_AVX2;
#endif
    return ISA_PLAIN;
}

int apus_gemm_best_isa(void) {
    static int known = -1; /* read and written atomically: threads may race to fill it (with the same value) */
    int isa = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (isa < 0) {
        isa = detect();
        __atomic_store_n(&known, isa, __ATOMIC_RELAXED);
    }
    return isa;
}

size_t apus_packed_count(int n, int k) { return (size_t)((n + APUS_PANEL - 1) / APUS_PANEL) * APUS_PANEL * (size_t)k; }

void apus_pack_panels(int n, int k, const float *w, size_t ldw, float *packed) {
    const int panels = (n + APUS_PANEL - 1) / APUS_PANEL;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * k * APUS_PANEL;
        const int rows = n - p * APUS_PANEL < APUS_PANEL ? n - p * APUS_PANEL : APUS_PANEL;
        for (int j = 0; j < rows; j++) {
            const float *src = w + (size_t)(p * APUS_PANEL + j) * ldw;
            for (int q = 0; q < k; q++) dst[(size_t)q * APUS_PANEL + j] = src[q];
        }
        for (int j = rows; j < APUS_PANEL; j++)
            for (int q = 0; q < k; q++) dst[(size_t)q * APUS_PANEL + j] = 0;
    }
}

void apus_unpack_panels(int n, int k, const float *packed, float *w) {
    for (int r = 0; r < n; r++) {
        const float *src = packed + (size_t)(r / APUS_PANEL) * k * APUS_PANEL + r % APUS_PANEL;
        for (int q = 0; q < k; q++) w[(size_t)r * k + q] = src[(size_t)q * APUS_PANEL];
    }
}

/* The packed X block: for each group of `mr` rows, kc steps of `mr` consecutive floats; the last group, when
 * shorter, steps by its own row count (its micro-kernel is compiled for that count). */
static void pack_rows(int mr, int rows, int kc, const float *x, size_t ldx, float *dst) {
    for (int g = 0; g < rows; g += mr) {
        const int n = rows - g < mr ? rows - g : mr;
        float *d = dst + (size_t)g * kc;
        for (int i = 0; i < n; i++) {
            const float *src = x + (size_t)(g + i) * ldx;
            for (int q = 0; q < kc; q++) d[(size_t)q * n + i] = src[q];
        }
    }
}

/* A scratch block per thread for the packed X (the callers run the GEMM on dispatch worker threads). */
static float *scratch(size_t floats) {
    static _Thread_local float *block;
    static _Thread_local size_t capacity;
    if (capacity < floats) {
        free(block);
        block = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        capacity = block ? floats : 0;
    }
    return block;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,fma")))
#define AVX2F __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))
/* The row loops of a tile must unroll (the accumulators live in registers), whatever the optimisation level. */
#define UNROLL _Pragma("clang loop unroll(full)")

/* ---- AVX-512: MR = 12 rows × 32 columns (two zmm per row) ---- */

#define MR512 12
#define KC512 128

AVX512 INLINE void tile512(
    const int mr, int kc, const float *a, const float *b, float *c, size_t ldc, int add, __mmask16 m0,
    __mmask16 m1) {
    __m512 lo[MR512], hi[MR512];
    UNROLL for (int i = 0; i < mr; i++) lo[i] = hi[i] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b + p * APUS_PANEL);
        const __m512 b1 = _mm512_loadu_ps(b + p * APUS_PANEL + 16);
        UNROLL for (int i = 0; i < mr; i++) {
            const __m512 av = _mm512_set1_ps(a[p * mr + i]);
            lo[i] = _mm512_fmadd_ps(av, b0, lo[i]);
            hi[i] = _mm512_fmadd_ps(av, b1, hi[i]);
        }
    }
    UNROLL for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        if (add) {
            lo[i] = _mm512_add_ps(lo[i], _mm512_maskz_loadu_ps(m0, row));
            hi[i] = _mm512_add_ps(hi[i], _mm512_maskz_loadu_ps(m1, row + 16));
        }
        _mm512_mask_storeu_ps(row, m0, lo[i]);
        _mm512_mask_storeu_ps(row + 16, m1, hi[i]);
    }
}

AVX512 static void block512(
    int rows, int kc, const float *a, const float *b, float *c, size_t ldc, int add, int cols) {
    const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    int g = 0;
    for (; g + MR512 <= rows; g += MR512)
        tile512(MR512, kc, a + (size_t)g * kc, b, c + (size_t)g * ldc, ldc, add, m0, m1);
    const float *ar = a + (size_t)g * kc;
    float *cr = c + (size_t)g * ldc;
    switch (rows - g) {
    case 0: break;
    case 1: tile512(1, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 2: tile512(2, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 3: tile512(3, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 4: tile512(4, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 5: tile512(5, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 6: tile512(6, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 7: tile512(7, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 8: tile512(8, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 9: tile512(9, kc, ar, b, cr, ldc, add, m0, m1); break;
    case 10: tile512(10, kc, ar, b, cr, ldc, add, m0, m1); break;
    default: tile512(11, kc, ar, b, cr, ldc, add, m0, m1); break;
    }
}

/* ---- AVX2: MR = 6 rows × 16 columns (two ymm per row), on each half of a 32-column panel ---- */

#define MR256 6
#define KC256 256

AVX2F INLINE void tile256(
    const int mr, int kc, const float *a, const float *b, float *c, size_t ldc, int add, __m256i m0, __m256i m1,
    int full) {
    __m256 lo[MR256], hi[MR256];
    UNROLL for (int i = 0; i < mr; i++) lo[i] = hi[i] = _mm256_setzero_ps();
    for (int p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(b + p * APUS_PANEL);
        const __m256 b1 = _mm256_loadu_ps(b + p * APUS_PANEL + 8);
        UNROLL for (int i = 0; i < mr; i++) {
            const __m256 av = _mm256_broadcast_ss(a + p * mr + i);
            lo[i] = _mm256_fmadd_ps(av, b0, lo[i]);
            hi[i] = _mm256_fmadd_ps(av, b1, hi[i]);
        }
    }
    UNROLL for (int i = 0; i < mr; i++) {
        float *row = c + (size_t)i * ldc;
        if (full) {
            if (add) {
                lo[i] = _mm256_add_ps(lo[i], _mm256_loadu_ps(row));
                hi[i] = _mm256_add_ps(hi[i], _mm256_loadu_ps(row + 8));
            }
            _mm256_storeu_ps(row, lo[i]);
            _mm256_storeu_ps(row + 8, hi[i]);
        } else {
            if (add) {
                lo[i] = _mm256_add_ps(lo[i], _mm256_maskload_ps(row, m0));
                hi[i] = _mm256_add_ps(hi[i], _mm256_maskload_ps(row + 8, m1));
            }
            _mm256_maskstore_ps(row, m0, lo[i]);
            _mm256_maskstore_ps(row + 8, m1, hi[i]);
        }
    }
}

AVX2F static void block256(
    int rows, int kc, const float *a, const float *b, float *c, size_t ldc, int add, int cols) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
    const int full = cols >= 16;
    int g = 0;
    for (; g + MR256 <= rows; g += MR256)
        tile256(MR256, kc, a + (size_t)g * kc, b, c + (size_t)g * ldc, ldc, add, m0, m1, full);
    const float *ar = a + (size_t)g * kc;
    float *cr = c + (size_t)g * ldc;
    switch (rows - g) {
    case 0: break;
    case 1: tile256(1, kc, ar, b, cr, ldc, add, m0, m1, full); break;
    case 2: tile256(2, kc, ar, b, cr, ldc, add, m0, m1, full); break;
    case 3: tile256(3, kc, ar, b, cr, ldc, add, m0, m1, full); break;
    case 4: tile256(4, kc, ar, b, cr, ldc, add, m0, m1, full); break;
    default: tile256(5, kc, ar, b, cr, ldc, add, m0, m1, full); break;
    }
}
#endif

/* ---- Plain C, for CPUs without AVX2/FMA (and as the reference the tests compare the others with) ---- */

#define MRPLAIN 4
#define KCPLAIN 256

static void blockPlain(int rows, int kc, const float *a, const float *b, float *c, size_t ldc, int add, int cols) {
    for (int g = 0; g < rows; g += MRPLAIN) {
        const int mr = rows - g < MRPLAIN ? rows - g : MRPLAIN;
        const float *ag = a + (size_t)g * kc;
        for (int i = 0; i < mr; i++) {
            float acc[APUS_PANEL] = {0};
            for (int p = 0; p < kc; p++) {
                const float av = ag[p * mr + i];
                for (int j = 0; j < APUS_PANEL; j++) acc[j] += av * b[p * APUS_PANEL + j];
            }
            float *row = c + (size_t)(g + i) * ldc;
            for (int j = 0; j < cols; j++) row[j] = add ? row[j] + acc[j] : acc[j];
        }
    }
}

int apus_gemm_packed(
    int isa, int rows, int k, const float *x, size_t ldx, const float *packed, int n, float *c, size_t ldc,
    int panelBegin, int panelEnd, int accumulate) {
    return apus_gemm_packed_strided(
        isa, rows, k, x, ldx, packed, (size_t)k * APUS_PANEL, n, c, ldc, panelBegin, panelEnd, accumulate);
}

int apus_gemm_packed_strided(
    int isa, int rows, int k, const float *x, size_t ldx, const float *packed, size_t panelStride, int n, float *c,
    size_t ldc, int panelBegin, int panelEnd, int accumulate) {
    int mr = MRPLAIN, kcMax = KCPLAIN;
#if defined(__x86_64__)
    if (isa > apus_gemm_best_isa()) return -1;
    if (isa == ISA_AVX512) mr = MR512, kcMax = KC512;
    if (isa == ISA_AVX2) mr = MR256, kcMax = KC256;
#else
    if (isa != ISA_PLAIN) return -1;
#endif
    /* Decode-size batches take K whole: each panel is then one sequential stream from memory (the X rows are
     * few and stay in L2), instead of KC-sized pieces with a jump of a whole panel between them. */
    if (rows <= DECODE_ROWS) kcMax = k;
    float *a = scratch((size_t)(rows <= DECODE_ROWS ? rows : MC) * kcMax);
    if (!a) return -2;
    for (int m0 = 0; m0 < rows; m0 += MC) {
        const int mlen = rows - m0 < MC ? rows - m0 : MC;
        for (int k0 = 0; k0 < k; k0 += kcMax) {
            const int kc = k - k0 < kcMax ? k - k0 : kcMax;
            pack_rows(mr, mlen, kc, x + (size_t)m0 * ldx + k0, ldx, a);
            const int add = k0 > 0 || accumulate;
            for (int p = panelBegin; p < panelEnd; p++) {
                const float *b = packed + (size_t)p * panelStride + (size_t)k0 * APUS_PANEL;
                float *cp = c + (size_t)m0 * ldc + (size_t)p * APUS_PANEL;
                const int cols = n - p * APUS_PANEL < APUS_PANEL ? n - p * APUS_PANEL : APUS_PANEL;
#if defined(__x86_64__)
                if (isa == ISA_AVX512) {
                    block512(mlen, kc, a, b, cp, ldc, add, cols);
                    continue;
                }
                if (isa == ISA_AVX2) {
                    block256(mlen, kc, a, b, cp, ldc, add, cols);
                    if (cols > 16) block256(mlen, kc, a, b + 16, cp + 16, ldc, add, cols - 16);
                    continue;
                }
#endif
                blockPlain(mlen, kc, a, b, cp, ldc, add, cols);
            }
        }
    }
    return 0;
}
