#include "apus_kernels.h"
#include "apus_quant.h"
#include "quant_blocks.h"

#include <math.h>

/* Decode-size products: each weight row is read once and dotted with every activation row. Quantized weights
 * meet activations quantized to int8 per block (32 values; 256 for the K types, with the sums of each 16 so a
 * type's offset — Q4_0's 8, Q6_K's 32, the mins of Q4_1 and Q4_K — costs one multiply per block instead of one per
 * value). The integer products are exact; each block's sum is then scaled by d_w · d_x in float. */

/* Rows of X per pass over a weight row: each weight block is unpacked once and dotted with all of them. */
#define MAX_ROWS 8

/* ---- Activations ---- */

static float absmax(const float *x, int n) {
    float m = 0;
    for (int i = 0; i < n; i++) m = fmaxf(m, fabsf(x[i]));
    return m;
}

/* q = round(x / d) with d = amax / 127; nearbyintf rounds half to even, as the vector conversion would. */
static void quantize_block(const float *x, int n, float *d, int8_t *q) {
    const float amax = absmax(x, n);
    *d = amax / 127;
    const float id = amax > 0 ? 127 / amax : 0;
    for (int i = 0; i < n; i++) q[i] = (int8_t)nearbyintf(x[i] * id);
}

static int is_k_type(int type) {
    return type == APUS_GGML_Q4_K || type == APUS_GGML_Q5_K || type == APUS_GGML_Q6_K;
}

static int is_float_type(int type) {
    return type == APUS_GGML_F32 || type == APUS_GGML_F16 || type == APUS_GGML_BF16;
}

size_t apus_quant_act_bytes(int type, int rows, int k) {
    if (is_float_type(type)) return 0;
    if (is_k_type(type)) return (size_t)rows * (k / 256) * sizeof(act_block256);
    return (size_t)rows * (k / 32) * sizeof(act_block32);
}

void apus_quant_prepare(int type, int rows, int k, const float *x, size_t ldx, void *act) {
    if (is_float_type(type)) return;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        if (is_k_type(type)) {
            act_block256 *a = (act_block256 *)act + (size_t)r * (k / 256);
            for (int b = 0; b < k / 256; b++) {
                quantize_block(xr + 256 * b, 256, &a[b].d, a[b].qs);
                for (int s = 0; s < 16; s++) {
                    int sum = 0;
                    for (int i = 0; i < 16; i++) sum += a[b].qs[16 * s + i];
                    a[b].sums[s] = (int16_t)sum;
                }
            }
        } else {
            act_block32 *a = (act_block32 *)act + (size_t)r * (k / 32);
            for (int b = 0; b < k / 32; b++) {
                quantize_block(xr + 32 * b, 32, &a[b].d, a[b].qs);
                int sum = 0;
                for (int i = 0; i < 32; i++) sum += a[b].qs[i];
                a[b].s = a[b].d * (float)sum;
            }
        }
    }
}

/* ---- Plain C: one weight row · one activation row ---- */

/* The 5-bit value i of a Q5_0 / Q5_1 block. */
static inline int q5_value(const uint8_t *qs, uint32_t qh, int i) {
    const int nib = i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4;
    return nib | (int)((qh >> i) & 1) << 4;
}

static float dot_plain(int type, int k, const void *w, const void *act, const float *x) {
    float s = 0;
    switch (type) {
    case APUS_GGML_F32:
        for (int i = 0; i < k; i++) s += ((const float *)w)[i] * x[i];
        return s;
    case APUS_GGML_F16:
        for (int i = 0; i < k; i++) s += apus_half_to_float(((const uint16_t *)w)[i]) * x[i];
        return s;
    case APUS_GGML_BF16:
        for (int i = 0; i < k; i++) s += apus_bf16_to_float(((const uint16_t *)w)[i]) * x[i];
        return s;
    }
    const act_block32 *a = act;
    const act_block256 *ak = act;
    for (int b = 0; b < k / (is_k_type(type) ? 256 : 32); b++) {
        int sumi = 0;
        switch (type) {
        case APUS_GGML_Q4_0: {
            const block_q4_0 *q = (const block_q4_0 *)w + b;
            for (int i = 0; i < 16; i++) sumi += (q->qs[i] & 0x0F) * a[b].qs[i] + (q->qs[i] >> 4) * a[b].qs[i + 16];
            s += apus_half_to_float(q->d) * (a[b].d * (float)sumi - 8 * a[b].s);
            break;
        }
        case APUS_GGML_Q4_1: {
            const block_q4_1 *q = (const block_q4_1 *)w + b;
            for (int i = 0; i < 16; i++) sumi += (q->qs[i] & 0x0F) * a[b].qs[i] + (q->qs[i] >> 4) * a[b].qs[i + 16];
            s += apus_half_to_float(q->d) * a[b].d * (float)sumi + apus_half_to_float(q->m) * a[b].s;
            break;
        }
        case APUS_GGML_Q5_0: {
            const block_q5_0 *q = (const block_q5_0 *)w + b;
            uint32_t qh;
            memcpy(&qh, q->qh, 4);
            for (int i = 0; i < 32; i++) sumi += q5_value(q->qs, qh, i) * a[b].qs[i];
            s += apus_half_to_float(q->d) * (a[b].d * (float)sumi - 16 * a[b].s);
            break;
        }
        case APUS_GGML_Q5_1: {
            const block_q5_1 *q = (const block_q5_1 *)w + b;
            uint32_t qh;
            memcpy(&qh, q->qh, 4);
            for (int i = 0; i < 32; i++) sumi += q5_value(q->qs, qh, i) * a[b].qs[i];
            s += apus_half_to_float(q->d) * a[b].d * (float)sumi + apus_half_to_float(q->m) * a[b].s;
            break;
        }
        case APUS_GGML_Q8_0: {
            const block_q8_0 *q = (const block_q8_0 *)w + b;
            for (int i = 0; i < 32; i++) sumi += q->qs[i] * a[b].qs[i];
            s += apus_half_to_float(q->d) * a[b].d * (float)sumi;
            break;
        }
        case APUS_GGML_Q4_K:
        case APUS_GGML_Q5_K: {
            const block_q4_K *q4 = (const block_q4_K *)w + b;
            const block_q5_K *q5 = (const block_q5_K *)w + b;
            const int five = type == APUS_GGML_Q5_K;
            const uint8_t *scales = five ? q5->scales : q4->scales, *qs = five ? q5->qs : q4->qs;
            int summ = 0;
            for (int j = 0; j < 8; j++) {
                uint8_t sc, m;
                apus_k_scale_min(scales, j, &sc, &m);
                const uint8_t *qc = qs + 32 * (j / 2);
                int sub = 0;
                for (int l = 0; l < 32; l++) {
                    int v = j % 2 ? qc[l] >> 4 : qc[l] & 0x0F;
                    if (five) v |= ((q5->qh[l] >> j) & 1) << 4;
                    sub += v * ak[b].qs[32 * j + l];
                }
                sumi += sc * sub;
                summ += m * (ak[b].sums[2 * j] + ak[b].sums[2 * j + 1]);
            }
            const uint16_t d = five ? q5->d : q4->d, dmin = five ? q5->dmin : q4->dmin;
            s += apus_half_to_float(d) * ak[b].d * (float)sumi - apus_half_to_float(dmin) * ak[b].d * (float)summ;
            break;
        }
        case APUS_GGML_Q6_K: {
            const block_q6_K *q = (const block_q6_K *)w + b;
            for (int v = 0; v < 256; v++) {
                const int h = v / 128, g = (v % 128) / 32, l = v % 32;
                const int lo = (q->ql[64 * h + 32 * (g & 1) + l] >> (g < 2 ? 0 : 4)) & 0x0F;
                const int qv = lo | ((q->qh[32 * h + l] >> (2 * g)) & 3) << 4;
                sumi += q->scales[v / 16] * (qv - 32) * ak[b].qs[v];
            }
            s += apus_half_to_float(q->d) * ak[b].d * (float)sumi;
            break;
        }
        }
    }
    return s;
}

/* ---- AVX2: the same products, 32 values per instruction ---- */

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2Q __attribute__((target("avx2,fma,f16c")))
/* f16 scales through F16C (exact, as apus_half_to_float, in one instruction). */
#define H2F(h) _cvtsh_ss(h)
/* The row kernels are inlined with a constant type and row count, so their accumulators stay in registers. */
#define INLINE static inline __attribute__((always_inline))

AVX2Q static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 16 bytes of nibbles as 32 bytes: the low nibbles (values 0–15), then the high ones (16–31). */
AVX2Q static inline __m256i nibbles32(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(b), _mm_srli_epi16(b, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* 0x10 in byte i where bit i of the 32-bit word is set (the fifth bits of Q5_0 / Q5_1). */
AVX2Q static inline __m256i fifth_bits(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                          3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i set = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(set, bit), _mm256_set1_epi8(0x10));
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

AVX2Q INLINE void rows_float(int type, int k, const void *w, const float *x, int rows, float *out) {
    __m256 acc[MAX_ROWS];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps();
    const int whole = k / 8 * 8; /* the float types have no blocks: k may be any width */
    for (int i = 0; i < whole; i += 8) {
        const __m256 wv = float8(type, w, i);
        for (int r = 0; r < rows; r++) acc[r] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + (size_t)r * k + i), acc[r]);
    }
    const size_t size = type == APUS_GGML_F32 ? 4 : 2;
    for (int r = 0; r < rows; r++)
        out[r] = hsum(acc[r]) + dot_plain(type, k - whole, (const uint8_t *)w + whole * size, 0, x + (size_t)r * k + whole);
}

/* Q4_0 … Q8_0: per block, 32 unsigned values v with x ≈ dw · v + c (c = m, −8 dw, −16 dw, or 0), so
 * w · x = dw · dx · Σ v qx + c · dx · Σ qx. Q8_0's signed values take |w| and x with w's sign instead. */
/* Block b of a 32-value type as unsigned values v (and Q8_0's signs), its scale dw and its offset c. */
AVX2Q INLINE void block32(int type, const void *w, int b, __m256i *v, __m256i *sign, float *dw, float *c) {
    switch (type) {
    case APUS_GGML_Q4_0: {
        const block_q4_0 *q = (const block_q4_0 *)w + b;
        *v = nibbles32(q->qs), *dw = H2F(q->d), *c = -8 * *dw;
        return;
    }
    case APUS_GGML_Q4_1: {
        const block_q4_1 *q = (const block_q4_1 *)w + b;
        *v = nibbles32(q->qs), *dw = H2F(q->d), *c = H2F(q->m);
        return;
    }
    case APUS_GGML_Q5_0: {
        const block_q5_0 *q = (const block_q5_0 *)w + b;
        *v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *dw = H2F(q->d), *c = -16 * *dw;
        return;
    }
    case APUS_GGML_Q5_1: {
        const block_q5_1 *q = (const block_q5_1 *)w + b;
        *v = _mm256_or_si256(nibbles32(q->qs), fifth_bits(q->qh)), *dw = H2F(q->d), *c = H2F(q->m);
        return;
    }
    default: { /* Q8_0 */
        const block_q8_0 *q = (const block_q8_0 *)w + b;
        *sign = _mm256_loadu_si256((const __m256i *)q->qs);
        *v = _mm256_abs_epi8(*sign), *dw = H2F(q->d), *c = 0;
        return;
    }
    }
}

/* Block b of the weight row against block b of each X row, into one of two accumulator sets. */
AVX2Q INLINE void step32(
    int type, const void *w, int b, const void *act, size_t actBytes, int rows, __m256 *acc, float *tail) {
    __m256i v, sign = _mm256_setzero_si256();
    float dw, c;
    block32(type, w, b, &v, &sign, &dw, &c);
    for (int r = 0; r < rows; r++) {
        const act_block32 *a = (const act_block32 *)((const uint8_t *)act + (size_t)r * actBytes) + b;
        __m256i xv = _mm256_loadu_si256((const __m256i *)a->qs);
        if (type == APUS_GGML_Q8_0) xv = _mm256_sign_epi8(xv, sign);
        acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * a->d), _mm256_cvtepi32_ps(dot_u8s8(v, xv)), acc[r]);
        tail[r] += c * a->s;
    }
}

/* Q4_0 … Q8_0: per block, 32 unsigned values v with x ≈ dw · v + c (c = m, −8 dw, −16 dw, or 0), so
 * w · x = dw · dx · Σ v qx + c · dx · Σ qx. Q8_0's signed values take |w| and x with w's sign instead. Even and
 * odd blocks go to two accumulator sets, so batch 1 is not held up by the latency of one chain of FMAs. */
AVX2Q INLINE void rows_32(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc0[MAX_ROWS], acc1[MAX_ROWS];
    float tail0[MAX_ROWS], tail1[MAX_ROWS];
    for (int r = 0; r < rows; r++) acc0[r] = acc1[r] = _mm256_setzero_ps(), tail0[r] = tail1[r] = 0;
    const int blocks = k / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2) {
        step32(type, w, b, act, actBytes, rows, acc0, tail0);
        step32(type, w, b + 1, act, actBytes, rows, acc1, tail1);
    }
    if (b < blocks) step32(type, w, b, act, actBytes, rows, acc0, tail0);
    for (int r = 0; r < rows; r++) out[r] = hsum(_mm256_add_ps(acc0[r], acc1[r])) + (tail0[r] + tail1[r]);
}

/* Q4_K / Q5_K: per block, the 8 sub-blocks' unsigned values and 16-bit scales; the mins meet the sums of X. */
AVX2Q INLINE void rows_k45(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc[MAX_ROWS];
    float tail[MAX_ROWS];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps(), tail[r] = 0;
    const int five = type == APUS_GGML_Q5_K;
    const __m256i low = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int b = 0; b < k / 256; b++) {
        const block_q4_K *q4 = (const block_q4_K *)w + b;
        const block_q5_K *q5 = (const block_q5_K *)w + b;
        const uint8_t *scales = five ? q5->scales : q4->scales, *qs = five ? q5->qs : q4->qs;
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; j++) apus_k_scale_min(scales, j, &sc[j], &m[j]);
        __m256i v[8];
        const __m256i qh = five ? _mm256_loadu_si256((const __m256i *)q5->qh) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            v[2 * c] = _mm256_and_si256(bytes, low);
            v[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low);
            if (five) {
                v[2 * c] = _mm256_or_si256(v[2 * c], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
                v[2 * c + 1] = _mm256_or_si256(
                    v[2 * c + 1], _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
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
            int summ = 0;
            for (int j = 0; j < 8; j++) summ += m[j] * (a->sums[2 * j] + a->sums[2 * j + 1]);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * a->d), _mm256_cvtepi32_ps(sumi), acc[r]);
            tail[r] -= dmin * a->d * (float)summ;
        }
    }
    for (int r = 0; r < rows; r++) out[r] = hsum(acc[r]) + tail[r];
}

/* Q6_K: per block, 8 groups of 32 unsigned 6-bit values (q + 32) with their pairs of int8 scales; the offset 32
 * meets the sums of X. */
AVX2Q INLINE void rows_q6k(int k, const void *w, const void *act, size_t actBytes, int rows, float *out) {
    __m256 acc[MAX_ROWS];
    float tail[MAX_ROWS];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps(), tail[r] = 0;
    const __m256i low = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
    for (int b = 0; b < k / 256; b++) {
        const block_q6_K *q = (const block_q6_K *)w + b;
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
                const int s0 = 8 * h + 2 * g; /* values 0–15 of the group take scale s0, 16–31 scale s0 + 1 */
                scale[4 * h + g] = _mm256_setr_m128i(_mm_set1_epi16(q->scales[s0]), _mm_set1_epi16(q->scales[s0 + 1]));
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
            int offset = 0;
            for (int s = 0; s < 16; s++) offset += q->scales[s] * a->sums[s];
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * a->d), _mm256_cvtepi32_ps(sumi), acc[r]);
            tail[r] -= d * a->d * (float)(32 * offset);
        }
    }
    for (int r = 0; r < rows; r++) out[r] = hsum(acc[r]) + tail[r];
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
#define FLOAT_CALL(n) rows_float(type, k, w, act, n, out)
#define Q4_0_CALL(n) rows_32(APUS_GGML_Q4_0, k, w, act, actBytes, n, out)
#define Q4_1_CALL(n) rows_32(APUS_GGML_Q4_1, k, w, act, actBytes, n, out)
#define Q5_0_CALL(n) rows_32(APUS_GGML_Q5_0, k, w, act, actBytes, n, out)
#define Q5_1_CALL(n) rows_32(APUS_GGML_Q5_1, k, w, act, actBytes, n, out)
#define Q8_0_CALL(n) rows_32(APUS_GGML_Q8_0, k, w, act, actBytes, n, out)
#define Q4_K_CALL(n) rows_k45(APUS_GGML_Q4_K, k, w, act, actBytes, n, out)
#define Q5_K_CALL(n) rows_k45(APUS_GGML_Q5_K, k, w, act, actBytes, n, out)
#define Q6_K_CALL(n) rows_q6k(k, w, act, actBytes, n, out)
DEFINE_ROWS(rows_f, FLOAT_CALL)
DEFINE_ROWS(rows_q4_0, Q4_0_CALL)
DEFINE_ROWS(rows_q4_1, Q4_1_CALL)
DEFINE_ROWS(rows_q5_0, Q5_0_CALL)
DEFINE_ROWS(rows_q5_1, Q5_1_CALL)
DEFINE_ROWS(rows_q8_0, Q8_0_CALL)
DEFINE_ROWS(rows_q4_K, Q4_K_CALL)
DEFINE_ROWS(rows_q5_K, Q5_K_CALL)
DEFINE_ROWS(rows_q6_K, Q6_K_CALL)

typedef void (*rows_kernel)(int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out);

/* The AVX2 kernel of `type`: out[r] = W row · X row r for r < rows ≤ MAX_ROWS. */
static rows_kernel rows_avx2(int type) {
    switch (type) {
    case APUS_GGML_Q4_0: return rows_q4_0;
    case APUS_GGML_Q4_1: return rows_q4_1;
    case APUS_GGML_Q5_0: return rows_q5_0;
    case APUS_GGML_Q5_1: return rows_q5_1;
    case APUS_GGML_Q8_0: return rows_q8_0;
    case APUS_GGML_Q4_K: return rows_q4_K;
    case APUS_GGML_Q5_K: return rows_q5_K;
    case APUS_GGML_Q6_K: return rows_q6_K;
    default: return rows_f;
    }
}
#endif

/* ---- The driver ---- */

int apus_quant_gemv(
    int isa, int type, int rows, int k, const void *act, const void *w, size_t rowBytes, float *c, size_t ldc,
    int rowBegin, int rowEnd, int accumulate) {
    if (isa > apus_gemm_best_isa() || !apus_quant_known(type)) return -1;
    /* Per X row: its activation blocks, or its floats. */
    const size_t actBytes = is_float_type(type) ? (size_t)k * sizeof(float) : apus_quant_act_bytes(type, 1, k);
#if defined(__x86_64__)
    const rows_kernel kernel = rows_avx2(type);
#endif
    for (int r0 = 0; r0 < rows; r0 += MAX_ROWS) {
        const int n = rows - r0 < MAX_ROWS ? rows - r0 : MAX_ROWS;
        const uint8_t *a = (const uint8_t *)act + (size_t)r0 * actBytes;
        for (int j = rowBegin; j < rowEnd; j++) {
            const void *wj = (const uint8_t *)w + (size_t)j * rowBytes;
            float v[MAX_ROWS];
#if defined(__x86_64__)
            if (isa >= 1) kernel(type, k, wj, a, actBytes, n, v);
            else
#endif
                for (int r = 0; r < n; r++) v[r] = dot_plain(type, k, wj, a + (size_t)r * actBytes, (const float *)(a + (size_t)r * actBytes));
            for (int r = 0; r < n; r++) {
                float *cr = c + (size_t)(r0 + r) * ldc + j;
                *cr = accumulate ? *cr + v[r] : v[r];
            }
        }
    }
    return 0;
}
