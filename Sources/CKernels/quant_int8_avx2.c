#include "quant_avx2.h"
#include "quant_int8.h"

/* The AVX2 side of apus_quant_int8_gemm: weight unpacking and activation quantization (for the AVX-512 kernels
 * too), and the products on CPUs without VNNI: unsigned weight bytes times signed activation bytes in pairs
 * (vpmaddubsw), pairs of pairs in int16, then int32. */

#if defined(__x86_64__)

/* ---- Weights ---- */

/* Block b of a 32-value type as its 32 unsigned values, with its scale and min. */
AVX2Q INLINE void unpack32(int type, const void *w, int b, uint8_t *u, float *dw, float *cw) {
    __m256i v;
    switch (type) {
    case APUS_GGML_Q4_0: {
        const block_q4_0 *q = (const block_q4_0 *)w + b;
        v = nibbles32(q->qs), *dw = H2F(q->d);
        break;
    }
    case APUS_GGML_Q4_1: {
        const block_q4_1 *q = (const block_q4_1 *)w + b;
        v = nibbles32(q->qs), *dw = H2F(q->d), *cw = H2F(q->m);
        break;
    }
    case APUS_GGML_Q5_0: {
        const block_q5_0 *q = (const block_q5_0 *)w + b;
        v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *dw = H2F(q->d);
        break;
    }
    case APUS_GGML_Q5_1: {
        const block_q5_1 *q = (const block_q5_1 *)w + b;
        v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *dw = H2F(q->d), *cw = H2F(q->m);
        break;
    }
    default: { /* Q8_0: w + 128 */
        const block_q8_0 *q = (const block_q8_0 *)w + b;
        v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)q->qs), _mm256_set1_epi8((char)0x80));
        *dw = H2F(q->d);
        break;
    }
    }
    _mm256_storeu_si256((__m256i *)u, v);
}

/* Block b of Q4_K / Q5_K: 8 sub-blocks of 32 values, each with its scale d · sc and min −dmin · m. */
AVX2Q INLINE void unpack_k45(int type, const void *w, int b, uint8_t *u, float *dw, float *cw) {
    const int five = type == APUS_GGML_Q5_K;
    const block_q4_K *q4 = (const block_q4_K *)w + b;
    const block_q5_K *q5 = (const block_q5_K *)w + b;
    const uint8_t *qs = five ? q5->qs : q4->qs;
    const __m256i low = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)q5->qh) : _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
        __m256i v[2] = {_mm256_and_si256(bytes, low), _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low)};
        for (int h = 0; h < 2; h++) {
            if (five) { /* bit j of qh[l] is the fifth bit of sub-block j's value l */
                const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + h), one);
                v[h] = _mm256_or_si256(v[h], _mm256_slli_epi16(bit, 4));
            }
            _mm256_storeu_si256((__m256i *)(u + 64 * c + 32 * h), v[h]);
        }
    }
    uint8_t sc[8], m[8];
    apus_k_scales_mins(five ? q5->scales : q4->scales, sc, m);
    const float d = H2F(five ? q5->d : q4->d), dmin = H2F(five ? q5->dmin : q4->dmin);
    for (int j = 0; j < 8; j++) dw[j] = d * (float)sc[j], cw[j] = -(dmin * (float)m[j]);
}

/* Block b of Q6_K: 256 values of 6 bits (q + 32) and 16 scales d · sc, one per 16 values. */
AVX2Q INLINE void unpack_q6k(const void *w, int b, uint8_t *u, float *dw) {
    const block_q6_K *q = (const block_q6_K *)w + b;
    const __m256i low = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; h++) {
        const __m256i ql[2] = {_mm256_loadu_si256((const __m256i *)(q->ql + 64 * h)),
                               _mm256_loadu_si256((const __m256i *)(q->ql + 64 * h + 32))};
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(q->qh + 32 * h));
        for (int g = 0; g < 4; g++) {
            const __m256i nib = _mm256_and_si256(g < 2 ? ql[g] : _mm256_srli_epi16(ql[g - 2], 4), low);
            const __m256i top = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), three);
            _mm256_storeu_si256((__m256i *)(u + 128 * h + 32 * g), _mm256_or_si256(nib, _mm256_slli_epi16(top, 4)));
        }
    }
    const float d = H2F(q->d);
    for (int s = 0; s < 16; s++) dw[s] = d * (float)q->scales[s];
}

/* The blocks of one row, a loop per type (with the type a constant, each block's unpacking inlined). */
AVX2Q INLINE void unpack_row(int type, const void *w, int k, uint8_t *u, float *dw, float *cw) {
    if (type == APUS_GGML_Q4_K || type == APUS_GGML_Q5_K)
        for (int b = 0; b < k / 256; b++) unpack_k45(type, w, b, u + 256 * b, dw + 8 * b, cw + 8 * b);
    else if (type == APUS_GGML_Q6_K)
        for (int b = 0; b < k / 256; b++) unpack_q6k(w, b, u + 256 * b, dw + 16 * b);
    else
        for (int b = 0; b < k / 32; b++) unpack32(type, w, b, u + 32 * b, dw + b, cw + b);
}

AVX2Q void apus_int8_unpack_avx2(int type, const void *w, const int8_weights *out, int row) {
    const int k = out->k;
    uint8_t *u = out->u + (size_t)row * k;
    float *dw = out->dw + (size_t)row * out->subBlocks, *cw = out->cw + (size_t)row * out->subBlocks;
    switch (type) {
    case APUS_GGML_Q4_0: unpack_row(APUS_GGML_Q4_0, w, k, u, dw, cw); break;
    case APUS_GGML_Q4_1: unpack_row(APUS_GGML_Q4_1, w, k, u, dw, cw); break;
    case APUS_GGML_Q5_0: unpack_row(APUS_GGML_Q5_0, w, k, u, dw, cw); break;
    case APUS_GGML_Q5_1: unpack_row(APUS_GGML_Q5_1, w, k, u, dw, cw); break;
    case APUS_GGML_Q8_0: unpack_row(APUS_GGML_Q8_0, w, k, u, dw, cw); break;
    case APUS_GGML_Q4_K: unpack_row(APUS_GGML_Q4_K, w, k, u, dw, cw); break;
    case APUS_GGML_Q5_K: unpack_row(APUS_GGML_Q5_K, w, k, u, dw, cw); break;
    default: unpack_row(APUS_GGML_Q6_K, w, k, u, dw, cw); break;
    }
}

/* ---- Activations ---- */

AVX2Q static inline int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* quantize32 of quant_int8_plain.c, eight values per operation, with the same float operations (bit for bit). */
AVX2Q static void quantize32(const float *x, act_tile32 *t, int lane, float *residual) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 v[4], m = _mm256_setzero_ps();
    for (int i = 0; i < 4; i++) v[i] = _mm256_loadu_ps(x + 8 * i), m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[i]));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float d = amax / 127, id = amax > 0 ? 127 / amax : 0;
    __m256i q[4];
    for (int i = 0; i < 4; i++) {
        q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], _mm256_set1_ps(id)));
        if (residual)
            _mm256_storeu_ps(
                residual + 8 * i,
                _mm256_sub_ps(v[i], _mm256_mul_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(q[i]))));
    }
    const int lo = hsum_epi32(_mm256_add_epi32(q[0], q[1])), sum = lo + hsum_epi32(_mm256_add_epi32(q[2], q[3]));
    /* packs interleave 128-bit lanes: dwords come out as values 0–3, 8–11, 16–19, 24–27, 4–7, … */
    const __m256i bytes = _mm256_permutevar8x32_epi32(
        _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3])),
        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    int32_t dwords[8];
    _mm256_storeu_si256((__m256i *)dwords, bytes);
    for (int g = 0; g < 8; g++) memcpy(t->q[g][lane], dwords + g, 4);
    t->d[lane] = d, t->s[lane] = d * (float)sum, t->nsum[lane] = -sum, t->nsumLo[lane] = -lo;
}

AVX2Q void apus_int8_quantize_avx2(int k, const float *x, act_tile32 *tiles, act_tile32 *residual, int lane) {
    for (int b = 0; b < k / 32; b++) {
        float r[32];
        quantize32(x + 32 * b, tiles + b, lane, residual ? r : 0);
        if (residual) quantize32(r, residual + b, lane, 0);
    }
}

/* ---- The products ---- */

/* Four weight bytes, the same in every 32-bit lane. */
AVX2Q INLINE __m256i weights4(const uint8_t *u) {
    int32_t v;
    memcpy(&v, u, 4);
    return _mm256_set1_epi32(v);
}

/* Weight rows 0 ..< ROWS (1 or 2) against one group of X, as two halves of 8 rows. Q8_0's bytes (w + 128) would
 * overflow vpmaddubsw's int16 pairs, so it multiplies |w| by x with w's sign instead, and needs no offset. */
AVX2Q INLINE void tile(int type, const int8_weights *w, int ROWS, const act_tile32 *act, int blocks, float *out) {
    const int sub = apus_int8_sub(type), shift = type == APUS_GGML_Q8_0 ? -1 : apus_int8_shift(type);
    const int min = apus_int8_has_min(type);
    const __m256i ones = _mm256_set1_epi16(1), flip = _mm256_set1_epi8((char)0x80);
    __m256 acc[2][2];
    for (int j = 0; j < ROWS; j++) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const act_tile32 *t = act + b;
        for (int h = 0; h < 32 / sub; h++) {
            __m256i sums[2][2];
            for (int half = 0; half < 2; half++) {
                __m256i start = _mm256_setzero_si256();
                if (shift >= 0) {
                    const __m256i all = _mm256_loadu_si256((const __m256i *)(t->nsum + 8 * half));
                    const __m256i lo = _mm256_loadu_si256((const __m256i *)(t->nsumLo + 8 * half));
                    start = _mm256_slli_epi32(sub == 32 ? all : h ? _mm256_sub_epi32(all, lo) : lo, shift);
                }
                for (int j = 0; j < ROWS; j++) sums[j][half] = start;
            }
            for (int g = h * sub / 4; g < (h + 1) * sub / 4; g += 2) {
                const uint8_t *x0 = (const uint8_t *)t->q[g], *x1 = (const uint8_t *)t->q[g + 1];
                for (int j = 0; j < ROWS; j++) {
                    const uint8_t *u = w->u + (size_t)j * w->k + 32 * b + 4 * g;
                    for (int half = 0; half < 2; half++) {
                        const __m256i a = _mm256_loadu_si256((const __m256i *)(x0 + 32 * half));
                        const __m256i c = _mm256_loadu_si256((const __m256i *)(x1 + 32 * half));
                        __m256i pairs;
                        if (type == APUS_GGML_Q8_0) {
                            const __m256i s0 = _mm256_xor_si256(weights4(u), flip);
                            const __m256i s1 = _mm256_xor_si256(weights4(u + 4), flip);
                            const __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(s0), _mm256_sign_epi8(a, s0));
                            const __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(s1), _mm256_sign_epi8(c, s1));
                            /* each pair up to 2 · 127², so two are summed in int32 */
                            sums[j][half] = _mm256_add_epi32(sums[j][half], _mm256_madd_epi16(p0, ones));
                            pairs = p1;
                        } else { /* u ≤ 63: two pairs of pairs stay within int16 */
                            pairs = _mm256_add_epi16(
                                _mm256_maddubs_epi16(weights4(u), a), _mm256_maddubs_epi16(weights4(u + 4), c));
                        }
                        sums[j][half] = _mm256_add_epi32(sums[j][half], _mm256_madd_epi16(pairs, ones));
                    }
                }
            }
            const int s = (32 * b + h * sub) / sub;
            for (int j = 0; j < ROWS; j++) {
                const __m256 dw = _mm256_set1_ps(w->dw[(size_t)j * w->subBlocks + s]);
                for (int half = 0; half < 2; half++) {
                    const __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(t->d + 8 * half), dw);
                    acc[j][half] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[j][half]), scale, acc[j][half]);
                    if (min)
                        acc[j][half] = _mm256_fmadd_ps(
                            _mm256_loadu_ps(t->s + 8 * half), _mm256_set1_ps(w->cw[(size_t)j * w->subBlocks + s]),
                            acc[j][half]);
                }
            }
        }
    }
    for (int j = 0; j < ROWS; j++)
        for (int half = 0; half < 2; half++)
            _mm256_storeu_ps(out + (size_t)j * APUS_INT8_GROUP + 8 * half, acc[j][half]);
}

/* The tile kernel of one type: pairs of weight rows, then a last single one, per group. */
#define DEFINE_TILE(name, type)                                                                                  \
    AVX2Q static void name(const int8_weights *w, int rows, const act_tile32 *act, int groups, const int8_output *o) { \
        const int blocks = w->k / 32;                                                                            \
        float sums[APUS_INT8_MAX_ROWS * APUS_INT8_MAX_GROUPS * APUS_INT8_GROUP], part[2 * APUS_INT8_GROUP];      \
        for (int g = 0; g < groups; g++)                                                                         \
            for (int j = 0; j < rows; j += 2) {                                                                  \
                const int8_weights from = {w->u + (size_t)j * w->k, w->dw + (size_t)j * w->subBlocks,            \
                                           w->cw + (size_t)j * w->subBlocks, w->k, w->subBlocks};                \
                const int n = rows - j < 2 ? 1 : 2;                                                              \
                if (n == 2) tile(type, &from, 2, act + (size_t)g * blocks, blocks, part);                        \
                else tile(type, &from, 1, act + (size_t)g * blocks, blocks, part);                               \
                for (int i = 0; i < n; i++)                                                                      \
                    memcpy(sums + ((size_t)(j + i) * groups + g) * APUS_INT8_GROUP, part + i * APUS_INT8_GROUP,  \
                           APUS_INT8_GROUP * sizeof(float));                                                     \
            }                                                                                                    \
        apus_int8_store(sums, rows, groups, o);                                                                  \
    }
DEFINE_TILE(tile_q4_0, APUS_GGML_Q4_0)
DEFINE_TILE(tile_q4_1, APUS_GGML_Q4_1)
DEFINE_TILE(tile_q5_0, APUS_GGML_Q5_0)
DEFINE_TILE(tile_q5_1, APUS_GGML_Q5_1)
DEFINE_TILE(tile_q8_0, APUS_GGML_Q8_0)
DEFINE_TILE(tile_q4_K, APUS_GGML_Q4_K)
DEFINE_TILE(tile_q5_K, APUS_GGML_Q5_K)
DEFINE_TILE(tile_q6_K, APUS_GGML_Q6_K)

apus_int8_tile_kernel apus_int8_tile_avx2(int type) {
    switch (type) {
    case APUS_GGML_Q4_0: return tile_q4_0;
    case APUS_GGML_Q4_1: return tile_q4_1;
    case APUS_GGML_Q5_0: return tile_q5_0;
    case APUS_GGML_Q5_1: return tile_q5_1;
    case APUS_GGML_Q8_0: return tile_q8_0;
    case APUS_GGML_Q4_K: return tile_q4_K;
    case APUS_GGML_Q5_K: return tile_q5_K;
    default: return tile_q6_K;
    }
}
#endif
