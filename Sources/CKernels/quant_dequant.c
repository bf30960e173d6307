#include "apus_kernels.h"
#include "apus_quant.h"
#include "quant_blocks.h"

/* Dequantization, bit for bit as gguf-py's gguf.quants.dequantize: every value is the same float32 expression in
 * the same order (a product, then a sum or difference where the type has a min), f16 scales widened exactly.
 * NOTE: contraction is off for this file: `d * q + m` fused into one FMA would round once instead of twice and
 * differ from the reference in the last bit. */
#pragma STDC FP_CONTRACT OFF

static void q4_0(const block_q4_0 *b, float *y) {
    const float d = apus_half_to_float(b->d);
    for (int i = 0; i < 16; i++) {
        y[i] = d * (float)((b->qs[i] & 0x0F) - 8);
        y[i + 16] = d * (float)((b->qs[i] >> 4) - 8);
    }
}

static void q4_1(const block_q4_1 *b, float *y) {
    const float d = apus_half_to_float(b->d), m = apus_half_to_float(b->m);
    for (int i = 0; i < 16; i++) {
        y[i] = d * (float)(b->qs[i] & 0x0F) + m;
        y[i + 16] = d * (float)(b->qs[i] >> 4) + m;
    }
}

static void q5_0(const block_q5_0 *b, float *y) {
    const float d = apus_half_to_float(b->d);
    uint32_t qh;
    memcpy(&qh, b->qh, 4);
    for (int i = 0; i < 16; i++) {
        const int lo = (b->qs[i] & 0x0F) | (int)((qh >> i) & 1) << 4;
        const int hi = (b->qs[i] >> 4) | (int)((qh >> (i + 16)) & 1) << 4;
        y[i] = d * (float)(lo - 16);
        y[i + 16] = d * (float)(hi - 16);
    }
}

static void q5_1(const block_q5_1 *b, float *y) {
    const float d = apus_half_to_float(b->d), m = apus_half_to_float(b->m);
    uint32_t qh;
    memcpy(&qh, b->qh, 4);
    for (int i = 0; i < 16; i++) {
        const int lo = (b->qs[i] & 0x0F) | (int)((qh >> i) & 1) << 4;
        const int hi = (b->qs[i] >> 4) | (int)((qh >> (i + 16)) & 1) << 4;
        y[i] = d * (float)lo + m;
        y[i + 16] = d * (float)hi + m;
    }
}

static void q8_0(const block_q8_0 *b, float *y) {
    const float d = apus_half_to_float(b->d);
    for (int i = 0; i < 32; i++) y[i] = (float)b->qs[i] * d;
}

/* Q4_K and Q5_K: sub-block s of 32 values is (d · sc_s) · q − (dmin · m_s). */
static void q4_K(const block_q4_K *b, float *y) {
    const float d = apus_half_to_float(b->d), dmin = apus_half_to_float(b->dmin);
    for (int c = 0; c < 4; c++) {
        uint8_t sc0, m0, sc1, m1;
        apus_k_scale_min(b->scales, 2 * c, &sc0, &m0);
        apus_k_scale_min(b->scales, 2 * c + 1, &sc1, &m1);
        const float d0 = d * (float)sc0, dm0 = dmin * (float)m0, d1 = d * (float)sc1, dm1 = dmin * (float)m1;
        const uint8_t *q = b->qs + 32 * c;
        for (int l = 0; l < 32; l++) {
            y[64 * c + l] = d0 * (float)(q[l] & 0x0F) - dm0;
            y[64 * c + 32 + l] = d1 * (float)(q[l] >> 4) - dm1;
        }
    }
}

static void q5_K(const block_q5_K *b, float *y) {
    const float d = apus_half_to_float(b->d), dmin = apus_half_to_float(b->dmin);
    for (int c = 0; c < 4; c++) {
        uint8_t sc0, m0, sc1, m1;
        apus_k_scale_min(b->scales, 2 * c, &sc0, &m0);
        apus_k_scale_min(b->scales, 2 * c + 1, &sc1, &m1);
        const float d0 = d * (float)sc0, dm0 = dmin * (float)m0, d1 = d * (float)sc1, dm1 = dmin * (float)m1;
        const uint8_t *q = b->qs + 32 * c;
        for (int l = 0; l < 32; l++) {
            const int lo = (q[l] & 0x0F) | ((b->qh[l] >> (2 * c)) & 1) << 4;
            const int hi = (q[l] >> 4) | ((b->qh[l] >> (2 * c + 1)) & 1) << 4;
            y[64 * c + l] = d0 * (float)lo - dm0;
            y[64 * c + 32 + l] = d1 * (float)hi - dm1;
        }
    }
}

static void q6_K(const block_q6_K *b, float *y) {
    const float d = apus_half_to_float(b->d);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b->ql + 64 * h, *qh = b->qh + 32 * h;
        for (int g = 0; g < 4; g++) {
            const int shift = g < 2 ? 0 : 4;
            for (int l = 0; l < 32; l++) {
                const int q = ((ql[32 * (g & 1) + l] >> shift) & 0x0F) | ((qh[l] >> (2 * g)) & 3) << 4;
                const int v = 128 * h + 32 * g + l;
                y[v] = (d * (float)b->scales[v / 16]) * (float)(q - 32);
            }
        }
    }
}

/* ---- AVX2: the same float32 operations, eight values at a time (mul, then add or sub: never fused) ---- */

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2Q __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))
#define H2F(h) _cvtsh_ss(h)

/* 16 bytes of nibbles as 32 bytes: the low nibbles (values 0–15), then the high ones (16–31). */
AVX2Q INLINE __m256i nibbles32(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(b), _mm_srli_epi16(b, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* 0x10 in byte i where bit i of the 32-bit word at qh is set. */
AVX2Q INLINE __m256i fifth_bits(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                          3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i set = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(set, bit), _mm256_set1_epi8(0x10));
}

enum { PLAIN_PRODUCT, PLUS_MIN, MINUS_MIN };

/* y[i] = d · (float)(v[i] − offset) (+ or − m) for the 32 unsigned bytes of v, 8 at a time. */
AVX2Q INLINE void emit32(__m256i v, int offset, float d, float m, int mode, float *y) {
    const __m256 dv = _mm256_set1_ps(d), mv = _mm256_set1_ps(m);
    const __m256i off = _mm256_set1_epi32(offset);
    const __m128i halves[2] = {_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)};
    for (int i = 0; i < 4; i++) {
        const __m128i eight = i & 1 ? _mm_srli_si128(halves[i / 2], 8) : halves[i / 2];
        const __m256 q = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(eight), off));
        __m256 x = _mm256_mul_ps(dv, q);
        if (mode == PLUS_MIN) x = _mm256_add_ps(x, mv);
        if (mode == MINUS_MIN) x = _mm256_sub_ps(x, mv);
        _mm256_storeu_ps(y + 8 * i, x);
    }
}

AVX2Q static void dequantize_avx2(int type, const void *src, float *y, int count) {
    const uint8_t *p = src;
    const __m256i low = _mm256_set1_epi8(0x0F);
    switch (type) {
    case APUS_GGML_F16: {
        int i = 0;
        for (; i + 8 <= count; i += 8)
            _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 2 * i))));
        for (; i < count; i++) y[i] = apus_half_to_float(((const uint16_t *)src)[i]);
        return;
    }
    case APUS_GGML_BF16: {
        int i = 0;
        for (; i + 8 <= count; i += 8) {
            const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 2 * i)));
            _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
        }
        for (; i < count; i++) y[i] = apus_bf16_to_float(((const uint16_t *)src)[i]);
        return;
    }
    case APUS_GGML_Q4_0:
        for (int b = 0; b < count / 32; b++) {
            const block_q4_0 *q = (const block_q4_0 *)p + b;
            emit32(nibbles32(q->qs), 8, H2F(q->d), 0, PLAIN_PRODUCT, y + 32 * b);
        }
        return;
    case APUS_GGML_Q4_1:
        for (int b = 0; b < count / 32; b++) {
            const block_q4_1 *q = (const block_q4_1 *)p + b;
            emit32(nibbles32(q->qs), 0, H2F(q->d), H2F(q->m), PLUS_MIN, y + 32 * b);
        }
        return;
    case APUS_GGML_Q5_0:
        for (int b = 0; b < count / 32; b++) {
            const block_q5_0 *q = (const block_q5_0 *)p + b;
            emit32(_mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), 16, H2F(q->d), 0, PLAIN_PRODUCT, y + 32 * b);
        }
        return;
    case APUS_GGML_Q5_1:
        for (int b = 0; b < count / 32; b++) {
            const block_q5_1 *q = (const block_q5_1 *)p + b;
            emit32(_mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), 0, H2F(q->d), H2F(q->m), PLUS_MIN, y + 32 * b);
        }
        return;
    case APUS_GGML_Q8_0:
        for (int b = 0; b < count / 32; b++) {
            const block_q8_0 *q = (const block_q8_0 *)p + b;
            const __m256 d = _mm256_set1_ps(H2F(q->d));
            for (int i = 0; i < 4; i++) {
                const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(q->qs + 8 * i)));
                _mm256_storeu_ps(y + 32 * b + 8 * i, _mm256_mul_ps(_mm256_cvtepi32_ps(v), d));
            }
        }
        return;
    case APUS_GGML_Q4_K:
    case APUS_GGML_Q5_K:
        for (int b = 0; b < count / 256; b++) {
            const int five = type == APUS_GGML_Q5_K;
            const block_q4_K *q4 = (const block_q4_K *)p + b;
            const block_q5_K *q5 = (const block_q5_K *)p + b;
            const uint8_t *scales = five ? q5->scales : q4->scales, *qs = five ? q5->qs : q4->qs;
            const float d = H2F(five ? q5->d : q4->d), dmin = H2F(five ? q5->dmin : q4->dmin);
            const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)q5->qh) : _mm256_setzero_si256();
            for (int c = 0; c < 4; c++) {
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
                __m256i v[2] = {_mm256_and_si256(bytes, low), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low)};
                for (int h = 0; h < 2; h++) {
                    const int j = 2 * c + h;
                    if (five) {
                        const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, j), _mm256_set1_epi8(1));
                        v[h] = _mm256_or_si256(v[h], _mm256_slli_epi16(bit, 4));
                    }
                    uint8_t sc, m;
                    apus_k_scale_min(scales, j, &sc, &m);
                    emit32(v[h], 0, d * (float)sc, dmin * (float)m, MINUS_MIN, y + 256 * b + 32 * j);
                }
            }
        }
        return;
    case APUS_GGML_Q6_K:
        for (int b = 0; b < count / 256; b++) {
            const block_q6_K *q = (const block_q6_K *)p + b;
            const float d = H2F(q->d);
            for (int h = 0; h < 2; h++) {
                const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * h));
                const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * h + 32));
                const __m256i qh = _mm256_loadu_si256((const __m256i *)(q->qh + 32 * h));
                for (int g = 0; g < 4; g++) {
                    const __m256i nib = g < 2 ? _mm256_and_si256(g ? ql1 : ql0, low)
                                              : _mm256_and_si256(_mm256_srli_epi16(g == 3 ? ql1 : ql0, 4), low);
                    const __m256i top = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), _mm256_set1_epi8(3));
                    const __m256i v = _mm256_or_si256(nib, _mm256_slli_epi16(top, 4));
                    const int v0 = 128 * h + 32 * g;
                    float lo[32], hi[32];
                    /* two scales per group of 32: values 0–15 take v0 / 16's, 16–31 the next */
                    emit32(v, 32, d * (float)q->scales[v0 / 16], 0, PLAIN_PRODUCT, lo);
                    emit32(v, 32, d * (float)q->scales[v0 / 16 + 1], 0, PLAIN_PRODUCT, hi);
                    memcpy(y + 256 * b + v0, lo, 16 * sizeof(float));
                    memcpy(y + 256 * b + v0 + 16, hi + 16, 16 * sizeof(float));
                }
            }
        }
        return;
    }
}
#endif

static int dequantize_plain(int type, const void *src, float *out, int count) {
    const uint8_t *p = src;
    switch (type) {
    case APUS_GGML_F32: memcpy(out, src, (size_t)count * 4); return 0;
    case APUS_GGML_F16:
        for (int i = 0; i < count; i++) out[i] = apus_half_to_float(((const uint16_t *)src)[i]);
        return 0;
    case APUS_GGML_BF16:
        for (int i = 0; i < count; i++) out[i] = apus_bf16_to_float(((const uint16_t *)src)[i]);
        return 0;
    case APUS_GGML_Q4_0: for (int i = 0; i < count / 32; i++) q4_0((const block_q4_0 *)p + i, out + 32 * i); return 0;
    case APUS_GGML_Q4_1: for (int i = 0; i < count / 32; i++) q4_1((const block_q4_1 *)p + i, out + 32 * i); return 0;
    case APUS_GGML_Q5_0: for (int i = 0; i < count / 32; i++) q5_0((const block_q5_0 *)p + i, out + 32 * i); return 0;
    case APUS_GGML_Q5_1: for (int i = 0; i < count / 32; i++) q5_1((const block_q5_1 *)p + i, out + 32 * i); return 0;
    case APUS_GGML_Q8_0: for (int i = 0; i < count / 32; i++) q8_0((const block_q8_0 *)p + i, out + 32 * i); return 0;
    case APUS_GGML_Q4_K: for (int i = 0; i < count / 256; i++) q4_K((const block_q4_K *)p + i, out + 256 * i); return 0;
    case APUS_GGML_Q5_K: for (int i = 0; i < count / 256; i++) q5_K((const block_q5_K *)p + i, out + 256 * i); return 0;
    case APUS_GGML_Q6_K: for (int i = 0; i < count / 256; i++) q6_K((const block_q6_K *)p + i, out + 256 * i); return 0;
    default: return -1;
    }
}

int apus_quant_dequantize(int isa, int type, const void *src, float *out, int count) {
    if (isa > apus_gemm_best_isa() || !apus_quant_known(type)) return -1;
#if defined(__x86_64__)
    if (isa >= 1 && type != APUS_GGML_F32) {
        dequantize_avx2(type, src, out, count);
        return 0;
    }
#endif
    return dequantize_plain(type, src, out, count);
}
