#ifndef APUS_QUANT_BLOCKS_H
#define APUS_QUANT_BLOCKS_H

/* The byte layouts of the ggml block types and the activation blocks they are multiplied with, shared by the
 * quant_*.c files (not part of the module's interface). All multi-byte fields are little-endian. The weight
 * blocks are packed: a tensor inside a file may start at any address. */

#include "apus_quant.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Q4_0: d, then 16 bytes: value i < 16 is the low nibble of qs[i], value 16 + i its high nibble; x = d · (q − 8). */
typedef struct __attribute__((packed)) { uint16_t d; uint8_t qs[16]; } block_q4_0;
/* Q4_1: x = d · q + m. */
typedef struct __attribute__((packed)) { uint16_t d, m; uint8_t qs[16]; } block_q4_1;
/* Q5_0: the fifth bit of value i is bit i of qh; x = d · (q − 16). */
typedef struct __attribute__((packed)) { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } block_q5_0;
/* Q5_1: x = d · q + m. */
typedef struct __attribute__((packed)) { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } block_q5_1;
/* Q8_0: x = q · d. */
typedef struct __attribute__((packed)) { uint16_t d; int8_t qs[32]; } block_q8_0;
/* Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes; qs holds 4 chunks of 32 bytes, chunk c
 * sub-block 2c in its low nibbles and 2c + 1 in its high ones; x = (d · sc) · q − dmin · m. */
typedef struct __attribute__((packed)) { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } block_q4_K;
/* Q5_K: as Q4_K, and the fifth bit of value l of sub-block s is bit s of qh[l]. */
typedef struct __attribute__((packed)) {
    uint16_t d, dmin;
    uint8_t scales[12], qh[32], qs[128];
} block_q5_K;
/* Q6_K: two halves of 128 values; in half h, group g (32 values) takes the low (g < 2) or high nibbles of
 * ql[64h + 32 (g & 1) + l] and bits 2g, 2g + 1 of qh[32h + l]; 16 int8 scales, one per 16 values;
 * x = (d · sc) · (q − 32). */
typedef struct __attribute__((packed)) { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } block_q6_K;

_Static_assert(sizeof(block_q4_0) == 18, "Q4_0 block");
_Static_assert(sizeof(block_q4_1) == 20, "Q4_1 block");
_Static_assert(sizeof(block_q5_0) == 22, "Q5_0 block");
_Static_assert(sizeof(block_q5_1) == 24, "Q5_1 block");
_Static_assert(sizeof(block_q8_0) == 34, "Q8_0 block");
_Static_assert(sizeof(block_q4_K) == 144, "Q4_K block");
_Static_assert(sizeof(block_q5_K) == 176, "Q5_K block");
_Static_assert(sizeof(block_q6_K) == 210, "Q6_K block");

/* Activations for the 32-value types: d = max |x| / 127, q = round(x / d), s = d · Σ q. */
typedef struct { float d, s; int8_t qs[32]; } act_block32;
/* Activations for the K types: 256 values, and the sums of each 16. */
typedef struct { float d; int16_t sums[16]; int8_t qs[256]; } act_block256;

/* Rows of X per pass over a weight row in apus_quant_gemv: each weight block is unpacked once for all of them. */
#define APUS_QUANT_MAX_ROWS 8

/* out[r] = W row · X row r for r < rows ≤ APUS_QUANT_MAX_ROWS: X rows `actBytes` apart, as activation blocks, or
 * as floats for the float types. */
typedef void (*apus_quant_rows_kernel)(
    int type, int k, const void *w, const void *act, size_t actBytes, int rows, float *out);

/* The AVX2 kernel of `type` (quant_dot_avx2.c). */
apus_quant_rows_kernel apus_quant_rows_avx2(int type);

/* One weight row · one X row in plain C (quant_dot.c): `act` for the quantized types, `x` for the float ones. */
float apus_quant_dot_plain(int type, int k, const void *w, const void *act, const float *x);

/* Whether these kernels take ggml type `type`. */
static inline int apus_quant_known(int type) {
    switch (type) {
    case APUS_GGML_F32: case APUS_GGML_F16: case APUS_GGML_BF16: case APUS_GGML_Q4_0: case APUS_GGML_Q4_1:
    case APUS_GGML_Q5_0: case APUS_GGML_Q5_1: case APUS_GGML_Q8_0: case APUS_GGML_Q4_K: case APUS_GGML_Q5_K:
    case APUS_GGML_Q6_K: return 1;
    default: return 0;
    }
}

/* IEEE half to float, exact (subnormals, infinities and NaN payloads kept), as numpy's astype(float32). */
static inline float apus_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000 | (mant << 13);
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant == 0) {
        bits = sign;
    } else { /* subnormal: normalise */
        exp = 113;
        while (!(mant & 0x400)) {
            mant <<= 1;
            exp--;
        }
        bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float apus_bf16_to_float(uint16_t h) {
    const uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Scale j and min j (6 bits each) of a Q4_K / Q5_K block: 0–3 in the low 6 bits of bytes j and 4 + j; 4–7 from
 * the nibbles of byte 4 + j with their top two bits in the top bits of bytes j − 4 and j. */
static inline void apus_k_scale_min(const uint8_t *s, int j, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = s[j] & 0x3F;
        *m = s[j + 4] & 0x3F;
    } else {
        *sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* The 8 scales and 8 mins of a Q4_K / Q5_K block (apus_k_scale_min for all j at once, four bytes per operation). */
static inline void apus_k_scales_mins(const uint8_t *s, uint8_t sc[8], uint8_t m[8]) {
    uint32_t u[3];
    memcpy(u, s, 12);
    const uint32_t lo6 = 0x3F3F3F3F, top2 = 0x03030303, nib = 0x0F0F0F0F;
    const uint32_t out[4] = {u[0] & lo6, (u[2] & nib) | ((u[0] >> 6) & top2) << 4, u[1] & lo6,
                             ((u[2] >> 4) & nib) | ((u[1] >> 6) & top2) << 4};
    memcpy(sc, out, 8);
    memcpy(m, out + 2, 8);
}

#endif
