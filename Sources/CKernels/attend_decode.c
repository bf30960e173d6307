#include "apus_kernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* e^x for x ≤ 0 (softmax arguments), Cephes' polynomial after range reduction by ln 2: relative error about
 * 2·10⁻⁷ over the range, below 1e-4 logits tolerance by far; very negative inputs flush towards 0. */
AVX2 static inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

AVX2 static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Rows ahead to prefetch: one head's row is a few cache lines at a stride of all KV heads, and every block_size
 * rows the block table jumps elsewhere, which the hardware prefetcher does not follow. */
#define PREFETCH_AHEAD 8

AVX2 static inline void prefetchRow(
    const float *cache, const int *table, int blockSize, size_t rowStride, size_t offset, int j, int d) {
    const char *p =
        (const char *)(cache + ((size_t)table[j / blockSize] * blockSize + j % blockSize) * rowStride + offset);
    for (int b = 0; b < d * 4; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
}

/* d a multiple of 8. */
AVX2 static void attendAVX2(
    int groups, int d, const float *q, const float *kCache, const float *vCache, const int *table, int blockSize,
    size_t rowStride, size_t offset, int keys, float scale, float *out, float *scores) {
    float maxes[64];
    for (int g = 0; g < groups; g++) maxes[g] = -INFINITY;
    for (int j = 0; j < keys; j++) {
        const float *k = kCache + ((size_t)table[j / blockSize] * blockSize + j % blockSize) * rowStride + offset;
        if (j + PREFETCH_AHEAD < keys) prefetchRow(kCache, table, blockSize, rowStride, offset, j + PREFETCH_AHEAD, d);
        for (int g = 0; g < groups; g++) {
            const float *qg = q + (size_t)g * d;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            int i = 0;
            for (; i + 16 <= d; i += 16) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + i), _mm256_loadu_ps(k + i), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + i + 8), _mm256_loadu_ps(k + i + 8), a1);
            }
            if (i < d) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qg + i), _mm256_loadu_ps(k + i), a0);
            float s = hsum256(_mm256_add_ps(a0, a1)) * scale;
            scores[(size_t)g * keys + j] = s;
            if (s > maxes[g]) maxes[g] = s;
        }
    }
    float inverse[64];
    for (int g = 0; g < groups; g++) {
        float *row = scores + (size_t)g * keys;
        __m256 m = _mm256_set1_ps(maxes[g]);
        __m256 sum = _mm256_setzero_ps();
        int j = 0;
        for (; j + 8 <= keys; j += 8) {
            __m256 w = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), m));
            _mm256_storeu_ps(row + j, w);
            sum = _mm256_add_ps(sum, w);
        }
        float total = hsum256(sum);
        for (; j < keys; j++) {
            row[j] = expf(row[j] - maxes[g]);
            total += row[j];
        }
        inverse[g] = 1.0f / total;
    }
    for (int i = 0; i < groups * d; i++) out[i] = 0;
    for (int j = 0; j < keys; j++) {
        const float *v = vCache + ((size_t)table[j / blockSize] * blockSize + j % blockSize) * rowStride + offset;
        if (j + PREFETCH_AHEAD < keys) prefetchRow(vCache, table, blockSize, rowStride, offset, j + PREFETCH_AHEAD, d);
        for (int g = 0; g < groups; g++) {
            __m256 w = _mm256_set1_ps(scores[(size_t)g * keys + j]);
            float *o = out + (size_t)g * d;
            for (int i = 0; i < d; i += 8)
                _mm256_storeu_ps(o + i, _mm256_fmadd_ps(w, _mm256_loadu_ps(v + i), _mm256_loadu_ps(o + i)));
        }
    }
    for (int g = 0; g < groups; g++) {
        __m256 inv = _mm256_set1_ps(inverse[g]);
        float *o = out + (size_t)g * d;
        for (int i = 0; i < d; i += 8) _mm256_storeu_ps(o + i, _mm256_mul_ps(inv, _mm256_loadu_ps(o + i)));
    }
}
#endif

/* Any d and any CPU: the same computation in plain C. */
static void attendPlain(
    int groups, int d, const float *q, const float *kCache, const float *vCache, const int *table, int blockSize,
    size_t rowStride, size_t offset, int keys, float scale, float *out, float *scores) {
    for (int g = 0; g < groups; g++) {
        const float *qg = q + (size_t)g * d;
        float *row = scores + (size_t)g * keys;
        float maxScore = -INFINITY;
        for (int j = 0; j < keys; j++) {
            const float *k = kCache + ((size_t)table[j / blockSize] * blockSize + j % blockSize) * rowStride + offset;
            float s = 0;
            for (int i = 0; i < d; i++) s += qg[i] * k[i];
            row[j] = s * scale;
            if (row[j] > maxScore) maxScore = row[j];
        }
        float total = 0;
        for (int j = 0; j < keys; j++) {
            row[j] = expf(row[j] - maxScore);
            total += row[j];
        }
        float *o = out + (size_t)g * d;
        for (int i = 0; i < d; i++) o[i] = 0;
        for (int j = 0; j < keys; j++) {
            const float *v = vCache + ((size_t)table[j / blockSize] * blockSize + j % blockSize) * rowStride + offset;
            for (int i = 0; i < d; i++) o[i] += row[j] * v[i];
        }
        for (int i = 0; i < d; i++) o[i] /= total;
    }
}

void apus_attend_decode(
    int groups, int d, const float *q, const float *kCache, const float *vCache, const int *table, int blockSize,
    size_t rowStride, size_t offset, int keys, float scale, float *out, float *scores) {
#if defined(__x86_64__)
    static int known = -1; /* read and written atomically: threads may race to fill it (with the same value) */
    int avx2 = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (avx2 < 0) {
        avx2 = apus_gemm_best_isa() >= 1;
        __atomic_store_n(&known, avx2, __ATOMIC_RELAXED);
    }
    if (avx2 && d % 8 == 0 && groups <= 64) {
        attendAVX2(groups, d, q, kCache, vCache, table, blockSize, rowStride, offset, keys, scale, out, scores);
        return;
    }
#endif
    attendPlain(groups, d, q, kCache, vCache, table, blockSize, rowStride, offset, keys, scale, out, scores);
}

/* ---- Softmax over rows of prefill attention scores ---- */

#if defined(__x86_64__)
AVX2 static void softmaxRowAVX2(float *row, int valid, float scale) {
    __m256 m8 = _mm256_set1_ps(-INFINITY);
    const __m256 s8 = _mm256_set1_ps(scale);
    int j = 0;
    for (; j + 8 <= valid; j += 8) {
        const __m256 v = _mm256_mul_ps(s8, _mm256_loadu_ps(row + j));
        _mm256_storeu_ps(row + j, v);
        m8 = _mm256_max_ps(m8, v);
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float maxScore = _mm_cvtss_f32(m4);
    for (; j < valid; j++) {
        row[j] *= scale;
        maxScore = row[j] > maxScore ? row[j] : maxScore;
    }
    const __m256 m = _mm256_set1_ps(maxScore);
    __m256 sum = _mm256_setzero_ps();
    j = 0;
    for (; j + 8 <= valid; j += 8) {
        __m256 w = exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), m));
        _mm256_storeu_ps(row + j, w);
        sum = _mm256_add_ps(sum, w);
    }
    float total = hsum256(sum);
    for (; j < valid; j++) {
        row[j] = expf(row[j] - maxScore);
        total += row[j];
    }
    const __m256 inv = _mm256_set1_ps(1.0f / total);
    j = 0;
    for (; j + 8 <= valid; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(inv, _mm256_loadu_ps(row + j)));
    for (; j < valid; j++) row[j] *= 1.0f / total;
}
#endif

static void softmaxRowPlain(float *row, int valid, float scale) {
    float maxScore = -INFINITY;
    for (int j = 0; j < valid; j++) {
        row[j] *= scale;
        maxScore = row[j] > maxScore ? row[j] : maxScore;
    }
    float total = 0;
    for (int j = 0; j < valid; j++) {
        row[j] = expf(row[j] - maxScore);
        total += row[j];
    }
    for (int j = 0; j < valid; j++) row[j] /= total;
}

void apus_softmax_causal(float *scores, int rows, int width, int firstValid, float scale) {
#if defined(__x86_64__)
    const int avx2 = apus_gemm_best_isa() >= 1;
#else
    const int avx2 = 0;
#endif
    for (int i = 0; i < rows; i++) {
        float *row = scores + (size_t)i * width;
        const int valid = firstValid + i < width ? firstValid + i : width;
#if defined(__x86_64__)
        if (avx2) softmaxRowAVX2(row, valid, scale);
        else
#endif
            softmaxRowPlain(row, valid, scale);
        for (int j = valid; j < width; j++) row[j] = 0;
    }
}
