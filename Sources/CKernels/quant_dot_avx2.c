#include "apus_quant.h"
#include "quant_avx2.h"
#include "quant_blocks.h"

/* The AVX2 kernels of apus_quant_gemv: one weight row against up to APUS_QUANT_MAX_ROWS rows of X, 32 values per
 * instruction, each weight block unpacked once for all of them. */

#if defined(__x86_64__)

AVX2Q static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Σ u[i] · s[i] in eight int32 lanes (u unsigned bytes ≤ 127 or so that pairs never saturate an int16). */
AVX2Q static inline __m256i dot_u8s8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* Eight floats of a weight row of a float type. */
AVX2Q static inline __m256 float8(int type, const void *w, int i) {
    if (type == APUS_GGML_F32) return _mm256_loadu_ps((const float *)w + i);
    const __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + i));
    if (type == APUS_GGML_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* The float types: eight weights converted once, then one FMA per row. Few rows take several accumulators per row
 * (consecutive groups of eight in turn), so one row is not held up by the latency of a single chain of FMAs. */
AVX2Q INLINE void rows_float(int type, int k, const void *w, const float *x, int rows, float *out) {
    enum { SETS = 4 };
    const int sets = rows <= 2 ? 4 : rows <= 4 ? 2 : 1;
    __m256 acc[SETS][APUS_QUANT_MAX_ROWS];
    for (int s = 0; s < sets; s++)
        for (int r = 0; r < rows; r++) acc[s][r] = _mm256_setzero_ps();
    const int whole = k / 8 * 8; /* the float types have no blocks: k may be any width */
    int i = 0;
    for (; i + 8 * sets <= whole; i += 8 * sets)
        for (int s = 0; s < sets; s++) {
            const __m256 wv = float8(type, w, i + 8 * s);
            for (int r = 0; r < rows; r++)
                acc[s][r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + (size_t)r * k + i + 8 * s), acc[s][r]);
        }
    for (; i < whole; i += 8) {
        const __m256 wv = float8(type, w, i);
        for (int r = 0; r < rows; r++)
            acc[0][r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + (size_t)r * k + i), acc[0][r]);
    }
    const size_t size = type == APUS_GGML_F32 ? 4 : 2;
    for (int r = 0; r < rows; r++) {
        for (int s = 1; s < sets; s++) acc[0][r] = _mm256_add_ps(acc[0][r], acc[s][r]);
        const float *tail = x + (size_t)r * k + whole;
        out[r] = hsum(acc[0][r]) + apus_quant_dot_plain(type, k - whole, (const uint8_t *)w + whole * size, 0, tail);
    }
}

/* Two f16 at p as [p[0], p[1], 0, 0]; one f16 as [h, h, 0, 0]. */
AVX2Q INLINE __m128 halves2(const void *p) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)bits));
}
AVX2Q INLINE __m128 half_twice(uint16_t h) { return _mm_cvtph_ps(_mm_cvtsi32_si128((int)(h | (uint32_t)h << 16))); }

/* Block b of a 32-value type as unsigned values v (and Q8_0's signs) and [dw, cw]: the scale, and what multiplies
 * d_x · Σ q_x (the min m, or dw for the offset types; rows_32 applies the offset's −8 or −16 at the end). */
AVX2Q INLINE void block32(int type, const void *w, int b, __m256i *v, __m256i *sign, __m128 *scales) {
    switch (type) {
    case APUS_GGML_Q4_0: {
        const block_q4_0 *q = (const block_q4_0 *)w + b;
        *v = nibbles32(q->qs), *scales = half_twice(q->d);
        return;
    }
    case APUS_GGML_Q4_1: {
        const block_q4_1 *q = (const block_q4_1 *)w + b;
        *v = nibbles32(q->qs), *scales = halves2(&q->d);
        return;
    }
    case APUS_GGML_Q5_0: {
        const block_q5_0 *q = (const block_q5_0 *)w + b;
        *v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *scales = half_twice(q->d);
        return;
    }
    case APUS_GGML_Q5_1: {
        const block_q5_1 *q = (const block_q5_1 *)w + b;
        *v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *scales = halves2(&q->d);
        return;
    }
    default: { /* Q8_0 */
        const block_q8_0 *q = (const block_q8_0 *)w + b;
        *sign = _mm256_loadu_si256((const __m256i *)q->qs);
        *v = _mm256_abs_epi8(*sign), *scales = half_twice(q->d);
        return;
    }
    }
}

/* Block b of the weight row against block b of each X row, into one of two accumulator sets: [dw, cw] · [dx, s]
 * gives the block's scale (lane 0) and its offset term (lane 1, summed in `tail`). */
AVX2Q INLINE void step32(
    int type, const void *w, int b, const void *act, size_t actBytes, int rows, __m256 *acc, __m128 *tail) {
    __m256i v, sign = _mm256_setzero_si256();
    __m128 scales;
    block32(type, w, b, &v, &sign, &scales);
    for (int r = 0; r < rows; r++) {
        const act_block32 *a = (const act_block32 *)((const uint8_t *)act + (size_t)r * actBytes) + b;
        __m256i xv = _mm256_loadu_si256((const __m256i *)a->qs);
        if (type == APUS_GGML_Q8_0) xv = _mm256_sign_epi8(xv, sign);
        const __m128 products = _mm_mul_ps(scales, _mm_castpd_ps(_mm_load_sd((const double *)&a->d)));
        acc[r] = _mm256_fmadd_ps(_mm256_broadcastss_ps(products), _mm256_cvtepi32_ps(dot_u8s8(v, xv)), acc[r]);
        tail[r] = _mm_add_ps(tail[r], products);
    }
}

/* Q4_0 … Q8_0: per block, 32 unsigned values v with x ≈ dw · v + c (c = m, −8 dw, −16 dw, or 0), so
 * w · x = dw · dx · Σ v qx + c · dx · Σ qx. Q8_0's signed values take |w| and x with w's sign instead. Even and odd
 * blocks go to two accumulator sets, so one row is not held up by the latency of one chain of FMAs, and every row
 * count sums in the same order: a row's result does not depend on how many rows share the call. Speculative
 * decoding needs that (its 1 + k verification rows must give the logits a one-row decode gives), and so does
 * greedy output that does not change with the batch. (A second set spills registers from 3 rows on; it was
 * measured at 10% of the 4-row kernel before this was made batch-invariant.) */
AVX2Q INLINE void rows_32(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc0[APUS_QUANT_MAX_ROWS], acc1[APUS_QUANT_MAX_ROWS];
    __m128 tail0[APUS_QUANT_MAX_ROWS], tail1[APUS_QUANT_MAX_ROWS];
    for (int r = 0; r < rows; r++) acc0[r] = acc1[r] = _mm256_setzero_ps(), tail0[r] = tail1[r] = _mm_setzero_ps();
    const int blocks = k / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2) {
        step32(type, w, b, act, actBytes, rows, acc0, tail0);
        step32(type, w, b + 1, act, actBytes, rows, acc1, tail1);
    }
    for (; b < blocks; b++) step32(type, w, b, act, actBytes, rows, acc0, tail0);
    const float offset = type == APUS_GGML_Q4_0 ? -8 : type == APUS_GGML_Q5_0 ? -16 : type == APUS_GGML_Q8_0 ? 0 : 1;
    for (int r = 0; r < rows; r++) {
        const __m128 tail = _mm_add_ps(tail0[r], tail1[r]);
        out[r] = hsum(_mm256_add_ps(acc0[r], acc1[r])) + offset * _mm_cvtss_f32(_mm_movehdup_ps(tail));
    }
}

/* Q4_K / Q5_K: per block, the 8 sub-blocks' unsigned values and 16-bit scales; the mins (each twice, one per 16
 * values) meet the sums of X in one multiply-add. */
AVX2Q INLINE void rows_k45(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc[APUS_QUANT_MAX_ROWS];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps();
    const int five = type == APUS_GGML_Q5_K;
    const __m256i low = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int b = 0; b < k / 256; b++) {
        const block_q4_K *q4 = (const block_q4_K *)w + b;
        const block_q5_K *q5 = (const block_q5_K *)w + b;
        const uint8_t *scales = five ? q5->scales : q4->scales, *qs = five ? q5->qs : q4->qs;
        uint8_t sc[8], m[8];
        apus_k_scales_mins(scales, sc, m);
        const __m128i m16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)m));
        const __m256i mins = _mm256_setr_m128i(_mm_unpacklo_epi16(m16, m16), _mm_unpackhi_epi16(m16, m16));
        __m256i v[8];
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)q5->qh) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            v[2 * c] = _mm256_and_si256(bytes, low);
            v[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
            for (int h = 0; five && h < 2; h++) { /* bit j of qh[l] is the fifth bit of sub-block j's value l */
                const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + h), one);
                v[2 * c + h] = _mm256_or_si256(v[2 * c + h], _mm256_slli_epi16(bit, 4));
            }
        }
        const float d = H2F(five ? q5->d : q4->d), dmin = H2F(five ? q5->dmin : q4->dmin);
        for (int r = 0; r < rows; r++) {
            const act_block256 *a = (const act_block256 *)((const uint8_t *)act + (size_t)r * actBytes) + b;
            __m256i sumi = _mm256_setzero_si256();
            for (int j = 0; j < 8; j++) {
                const __m256i p = _mm256_maddubs_epi16(v[j], _mm256_loadu_si256((const __m256i *)(a->qs + 32 * j)));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, _mm256_set1_epi16(sc[j])));
            }
            const __m256i summ = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)a->sums), mins);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * a->d), _mm256_cvtepi32_ps(sumi), acc[r]);
            acc[r] = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * a->d), _mm256_cvtepi32_ps(summ), acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = hsum(acc[r]);
}

/* Q6_K: per block, 8 groups of 32 unsigned 6-bit values (q + 32) with their pairs of int8 scales; the offset 32
 * meets the sums of X in one multiply-add. */
AVX2Q INLINE void rows_q6k(int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc[APUS_QUANT_MAX_ROWS];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    /* int16 lanes 0–7 from the first int16 of a 32-bit lane, 8–15 from the second */
    const __m256i pair = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
                                          2, 3, 2, 3, 2, 3);
    for (int b = 0; b < k / 256; b++) {
        const block_q6_K *q = (const block_q6_K *)w + b;
        /* the 16 scales as int16: scales 2g and 2g + 1 share 32-bit lane g */
        const __m256i scales = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)q->scales));
        __m256i v[8], scale[8];
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(q->qh + 32 * h));
            for (int g = 0; g < 4; g++) {
                const __m256i nib = g < 2 ? _mm256_and_si256(g ? ql1 : ql0, low)
                                          : _mm256_and_si256(_mm256_srli_epi16(g == 3 ? ql1 : ql0, 4), low);
                const __m256i top = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), three);
                v[4 * h + g] = _mm256_or_si256(nib, _mm256_slli_epi16(top, 4));
                /* values 0–15 of group 4h + g take scale 2(4h + g), values 16–31 the next */
                const __m256i both = _mm256_permutevar8x32_epi32(scales, _mm256_set1_epi32(4 * h + g));
                scale[4 * h + g] = _mm256_shuffle_epi8(both, pair);
            }
        }
        const float d = H2F(q->d);
        for (int r = 0; r < rows; r++) {
            const act_block256 *a = (const act_block256 *)((const uint8_t *)act + (size_t)r * actBytes) + b;
            __m256i sumi = _mm256_setzero_si256();
            for (int g = 0; g < 8; g++) {
                const __m256i p = _mm256_maddubs_epi16(v[g], _mm256_loadu_si256((const __m256i *)(a->qs + 32 * g)));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scale[g]));
            }
            const __m256i offset = _mm256_madd_epi16(scales, _mm256_loadu_si256((const __m256i *)a->sums));
            sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5)); /* Σ sc (q − 32) qx */
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * a->d), _mm256_cvtepi32_ps(sumi), acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = hsum(acc[r]);
}

#define ROWS_CASES(call)                                                                                        \
    switch (rows) {                                                                                             \
    case 1: call(1); break;                                                                                     \
    case 2: call(2); break;                                                                                     \
    case 3: call(3); break;                                                                                     \
    case 4: call(4); break;                                                                                     \
    case 5: call(5); break;                                                                                     \
    case 6: call(6); break;                                                                                     \
    case 7: call(7); break;                                                                                     \
    default: call(8); break;                                                                                    \
    }

#define DEFINE_ROWS(name, kernel)                                                                                \
    AVX2Q static void name(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out) { \
        (void)type, (void)actBytes;                                                                             \
        ROWS_CASES(kernel)                                                                                      \
    }
#define F32_CALL(n) rows_float(APUS_GGML_F32, k, w, act, n, out)
#define F16_CALL(n) rows_float(APUS_GGML_F16, k, w, act, n, out)
#define BF16_CALL(n) rows_float(APUS_GGML_BF16, k, w, act, n, out)
#define Q4_0_CALL(n) rows_32(APUS_GGML_Q4_0, k, w, act, actBytes, n, out)
#define Q4_1_CALL(n) rows_32(APUS_GGML_Q4_1, k, w, act, actBytes, n, out)
#define Q5_0_CALL(n) rows_32(APUS_GGML_Q5_0, k, w, act, actBytes, n, out)
#define Q5_1_CALL(n) rows_32(APUS_GGML_Q5_1, k, w, act, actBytes, n, out)
#define Q8_0_CALL(n) rows_32(APUS_GGML_Q8_0, k, w, act, actBytes, n, out)
#define Q4_K_CALL(n) rows_k45(APUS_GGML_Q4_K, k, w, act, actBytes, n, out)
#define Q5_K_CALL(n) rows_k45(APUS_GGML_Q5_K, k, w, act, actBytes, n, out)
#define Q6_K_CALL(n) rows_q6k(k, w, act, actBytes, n, out)
DEFINE_ROWS(rows_f32, F32_CALL)
DEFINE_ROWS(rows_f16, F16_CALL)
DEFINE_ROWS(rows_bf16, BF16_CALL)
DEFINE_ROWS(rows_q4_0, Q4_0_CALL)
DEFINE_ROWS(rows_q4_1, Q4_1_CALL)
DEFINE_ROWS(rows_q5_0, Q5_0_CALL)
DEFINE_ROWS(rows_q5_1, Q5_1_CALL)
DEFINE_ROWS(rows_q8_0, Q8_0_CALL)
DEFINE_ROWS(rows_q4_K, Q4_K_CALL)
DEFINE_ROWS(rows_q5_K, Q5_K_CALL)
DEFINE_ROWS(rows_q6_K, Q6_K_CALL)

/* The AVX2 kernel of `type`: out[r] = W row · X row r for r < rows ≤ APUS_QUANT_MAX_ROWS. */
apus_quant_rows_kernel apus_quant_rows_avx2(int type) {
    switch (type) {
    case APUS_GGML_Q4_0: return rows_q4_0;
    case APUS_GGML_Q4_1: return rows_q4_1;
    case APUS_GGML_Q5_0: return rows_q5_0;
    case APUS_GGML_Q5_1: return rows_q5_1;
    case APUS_GGML_Q8_0: return rows_q8_0;
    case APUS_GGML_Q4_K: return rows_q4_K;
    case APUS_GGML_Q5_K: return rows_q5_K;
    case APUS_GGML_Q6_K: return rows_q6_K;
    case APUS_GGML_F16: return rows_f16;
    case APUS_GGML_BF16: return rows_bf16;
    default: return rows_f32;
    }
}
#endif
