#include "quant_int8.h"

#include <math.h>

/* The plain C side of apus_quant_int8_gemm: the reference the vector kernels are tested against, and what a CPU
 * without AVX2 runs. */

/* ---- Weights ---- */

/* Value i of a 32-value block of nibbles: the low nibbles are values 0–15, the high ones 16–31. */
static inline int nibble(const uint8_t *qs, int i) { return i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4; }

/* The fifth bit of value i (Q5_0, Q5_1): bit i of the 32-bit word qh. */
static inline int fifth(const uint8_t *qh, int i) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    return (int)((bits >> i) & 1) << 4;
}

void apus_int8_unpack_plain(int type, const void *w, const int8_weights *out, int row) {
    const int k = out->k;
    uint8_t *u = out->u + (size_t)row * k;
    float *dw = out->dw + (size_t)row * out->subBlocks, *cw = out->cw + (size_t)row * out->subBlocks;
    for (int b = 0; b < k / apus_int8_block(type); b++) {
        switch (type) {
        case APUS_GGML_Q4_0: {
            const block_q4_0 *q = (const block_q4_0 *)w + b;
            for (int i = 0; i < 32; i++) u[32 * b + i] = (uint8_t)nibble(q->qs, i);
            dw[b] = apus_half_to_float(q->d);
            break;
        }
        case APUS_GGML_Q4_1: {
            const block_q4_1 *q = (const block_q4_1 *)w + b;
            for (int i = 0; i < 32; i++) u[32 * b + i] = (uint8_t)nibble(q->qs, i);
            dw[b] = apus_half_to_float(q->d), cw[b] = apus_half_to_float(q->m);
            break;
        }
        case APUS_GGML_Q5_0: {
            const block_q5_0 *q = (const block_q5_0 *)w + b;
            for (int i = 0; i < 32; i++) u[32 * b + i] = (uint8_t)(nibble(q->qs, i) | fifth(q->qh, i));
            dw[b] = apus_half_to_float(q->d);
            break;
        }
        case APUS_GGML_Q5_1: {
            const block_q5_1 *q = (const block_q5_1 *)w + b;
            for (int i = 0; i < 32; i++) u[32 * b + i] = (uint8_t)(nibble(q->qs, i) | fifth(q->qh, i));
            dw[b] = apus_half_to_float(q->d), cw[b] = apus_half_to_float(q->m);
            break;
        }
        case APUS_GGML_Q8_0: {
            const block_q8_0 *q = (const block_q8_0 *)w + b;
            for (int i = 0; i < 32; i++) u[32 * b + i] = (uint8_t)(q->qs[i] + 128);
            dw[b] = apus_half_to_float(q->d);
            break;
        }
        case APUS_GGML_Q4_K:
        case APUS_GGML_Q5_K: {
            const int five = type == APUS_GGML_Q5_K;
            const block_q4_K *q4 = (const block_q4_K *)w + b;
            const block_q5_K *q5 = (const block_q5_K *)w + b;
            const uint8_t *scales = five ? q5->scales : q4->scales, *qs = five ? q5->qs : q4->qs;
            const float d = apus_half_to_float(five ? q5->d : q4->d);
            const float dmin = apus_half_to_float(five ? q5->dmin : q4->dmin);
            for (int j = 0; j < 8; j++) {
                uint8_t sc, m;
                apus_k_scale_min(scales, j, &sc, &m);
                for (int l = 0; l < 32; l++) {
                    int v = j % 2 ? qs[32 * (j / 2) + l] >> 4 : qs[32 * (j / 2) + l] & 0x0F;
                    if (five) v |= ((q5->qh[l] >> j) & 1) << 4;
                    u[256 * b + 32 * j + l] = (uint8_t)v;
                }
                dw[8 * b + j] = d * (float)sc, cw[8 * b + j] = -(dmin * (float)m);
            }
            break;
        }
        case APUS_GGML_Q6_K: {
            const block_q6_K *q = (const block_q6_K *)w + b;
            for (int v = 0; v < 256; v++) {
                const int h = v / 128, g = (v % 128) / 32, l = v % 32;
                const int lo = (q->ql[64 * h + 32 * (g & 1) + l] >> (g < 2 ? 0 : 4)) & 0x0F;
                u[256 * b + v] = (uint8_t)(lo | ((q->qh[32 * h + l] >> (2 * g)) & 3) << 4);
            }
            const float d = apus_half_to_float(q->d);
            for (int s = 0; s < 16; s++) dw[16 * b + s] = d * (float)q->scales[s];
            break;
        }
        }
    }
}

/* ---- Activations ---- */

/* Lane `lane` of tile t from 32 values: d = max |x| / 127, q = round(x / d) (nearbyintf rounds half to even, as
 * the vector conversion does); residual, when not null, gets x − d · q. */
static void quantize32(const float *x, act_tile32 *t, int lane, float *residual) {
    float amax = 0;
    for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float d = amax / 127, id = amax > 0 ? 127 / amax : 0;
    int sum = 0, lo = 0;
    for (int i = 0; i < 32; i++) {
        const int8_t q = (int8_t)nearbyintf(x[i] * id);
        t->q[i / 4][lane][i % 4] = q;
        sum += q;
        lo += i < 16 ? q : 0;
        if (residual) residual[i] = x[i] - d * (float)q;
    }
    t->d[lane] = d, t->s[lane] = d * (float)sum, t->nsum[lane] = -sum, t->nsumLo[lane] = -lo;
}

void apus_int8_quantize_plain(int k, const float *x, act_tile32 *tiles, act_tile32 *residual, int lane) {
    for (int b = 0; b < k / 32; b++) {
        float r[32];
        quantize32(x + 32 * b, tiles + b, lane, residual ? r : 0);
        if (residual) quantize32(r, residual + b, lane, 0);
    }
}

/* ---- The products ---- */

void apus_int8_tile_plain(
    int type, const int8_weights *w, int rows, const act_tile32 *act, int groups, const int8_output *o) {
    float out[APUS_INT8_MAX_ROWS * APUS_INT8_MAX_GROUPS * APUS_INT8_GROUP];
    const int blocks = w->k / 32, sub = apus_int8_sub(type), shift = apus_int8_shift(type);
    const int offset = shift < 0 ? 0 : 1 << shift;
    for (int j = 0; j < rows; j++) {
        const uint8_t *u = w->u + (size_t)j * w->k;
        const float *dw = w->dw + (size_t)j * w->subBlocks, *cw = w->cw + (size_t)j * w->subBlocks;
        for (int g = 0; g < groups; g++)
            for (int lane = 0; lane < APUS_INT8_GROUP; lane++) {
                float acc = 0;
                for (int b = 0; b < blocks; b++) {
                    const act_tile32 *t = act + (size_t)g * blocks + b;
                    for (int h = 0; h < 32 / sub; h++) {
                        const int first = h * sub, s = (32 * b + first) / sub;
                        const int32_t all = t->nsum[lane], lo = t->nsumLo[lane];
                        const int nsum = sub == 32 ? all : h ? all - lo : lo;
                        int isum = offset * nsum;
                        for (int i = first; i < first + sub; i++) isum += u[32 * b + i] * t->q[i / 4][lane][i % 4];
                        acc += (float)isum * (t->d[lane] * dw[s]);
                        if (apus_int8_has_min(type)) acc += t->s[lane] * cw[s];
                    }
                }
                out[((size_t)j * groups + g) * APUS_INT8_GROUP + lane] = acc;
            }
    }
    apus_int8_store(out, rows, groups, o);
}
