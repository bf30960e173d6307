#include "apus_kernels.h"
#include "apus_quant.h"
#include "quant_blocks.h"

#include <math.h>

/* Decode-size products: each weight row is read once and dotted with every activation row. Quantized weights
 * meet activations quantized to int8 per block (32 values; 256 for the K types, with the sums of each 16 so a
 * type's offset — Q4_0's 8, Q6_K's 32, the mins of Q4_1 and Q4_K — costs one multiply per block instead of one per
 * value). The integer products are exact; each block's sum is then scaled by d_w · d_x in float. */

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

/* residual = X − the activations apus_quant_prepare made of it (d · q per block), for the split products of
 * apus_quant.h. */
void apus_quant_residual(int type, int rows, int k, const float *x, size_t ldx, const void *act, float *residual) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * ldx;
        float *out = residual + (size_t)r * k;
        if (is_float_type(type)) {
            for (int i = 0; i < k; i++) out[i] = 0;
        } else if (is_k_type(type)) {
            const act_block256 *a = (const act_block256 *)act + (size_t)r * (k / 256);
            for (int i = 0; i < k; i++) out[i] = xr[i] - a[i / 256].d * (float)a[i / 256].qs[i % 256];
        } else {
            const act_block32 *a = (const act_block32 *)act + (size_t)r * (k / 32);
            for (int i = 0; i < k; i++) out[i] = xr[i] - a[i / 32].d * (float)a[i / 32].qs[i % 32];
        }
    }
}

/* ---- Plain C: one weight row · one activation row ---- */

/* The 5-bit value i of a Q5_0 / Q5_1 block. */
static inline int q5_value(const uint8_t *qs, uint32_t qh, int i) {
    const int nib = i < 16 ? qs[i] & 0x0F : qs[i - 16] >> 4;
    return nib | (int)((qh >> i) & 1) << 4;
}

float apus_quant_dot_plain(int type, int k, const void *w, const void *act, const float *x) {
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

/* ---- The driver ---- */

int apus_quant_gemv(
    int isa, int type, int rows, int k, const void *act, const void *w, size_t rowBytes, float *c, size_t ldc,
    int rowBegin, int rowEnd, int accumulate) {
    if (isa > apus_gemm_best_isa() || !apus_quant_known(type)) return -1;
    /* Per X row: its activation blocks, or its floats. */
    const size_t actBytes = is_float_type(type) ? (size_t)k * sizeof(float) : apus_quant_act_bytes(type, 1, k);
#if defined(__x86_64__)
    const apus_quant_rows_kernel kernel = apus_quant_rows_avx2(type);
#endif
    for (int r0 = 0; r0 < rows; r0 += APUS_QUANT_MAX_ROWS) {
        const int n = rows - r0 < APUS_QUANT_MAX_ROWS ? rows - r0 : APUS_QUANT_MAX_ROWS;
        const uint8_t *a = (const uint8_t *)act + (size_t)r0 * actBytes;
        for (int j = rowBegin; j < rowEnd; j++) {
            const void *wj = (const uint8_t *)w + (size_t)j * rowBytes;
            float v[APUS_QUANT_MAX_ROWS];
#if defined(__x86_64__)
            if (isa >= 1) kernel(type, k, wj, a, actBytes, n, v);
            else
#endif
                for (int r = 0; r < n; r++) {
                    const uint8_t *ar = a + (size_t)r * actBytes;
                    v[r] = apus_quant_dot_plain(type, k, wj, ar, (const float *)ar);
                }
            for (int r = 0; r < n; r++) {
                float *cr = c + (size_t)(r0 + r) * ldc + j;
                *cr = accumulate ? *cr + v[r] : v[r];
            }
        }
    }
    return 0;
}
