#include "quant_avx2.h"
#include "quant_int8.h"

/* The AVX-512 VNNI kernels of apus_quant_int8_gemm: vpdpbusd multiplies four unsigned weight bytes with four signed
 * activation bytes per 32-bit lane and adds them to it, so one instruction advances the sums of 16 rows of X by
 * four values of a weight row. A tile of 4 weight rows × 2 groups keeps 8 int32 sums and 8 float accumulators in
 * registers; each 64-byte load of activations serves 4 weight rows, each broadcast weight word 2 groups. */

#if defined(__x86_64__)

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

/* C[row][0 ..< 4] (+)= a[0 ..< 4][row] for 16 rows: the 4 × 16 sums transposed in registers. */
VNNI INLINE void store4x16(const __m512 a[4], float *c, size_t ldc, int add) {
    const __m512 t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
    const __m512 t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
    /* 128-bit lane L of r[i] is row 4L + i */
    const __m512 r[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                         _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
    for (int i = 0; i < 4; i++) {
        const __m128 lanes[4] = {_mm512_castps512_ps128(r[i]), _mm512_extractf32x4_ps(r[i], 1),
                                 _mm512_extractf32x4_ps(r[i], 2), _mm512_extractf32x4_ps(r[i], 3)};
        for (int l = 0; l < 4; l++) {
            float *p = c + (size_t)(4 * l + i) * ldc;
            _mm_storeu_ps(p, add ? _mm_add_ps(_mm_loadu_ps(p), lanes[l]) : lanes[l]);
        }
    }
}

/* Weight rows 0 ..< ROWS against groups 0 ..< GROUPS, into C as `o` says. */
VNNI INLINE void tile(
    int type, const int8_weights *w, int ROWS, const act_tile32 *act, int GROUPS, const int8_output *o) {
    const int blocks = w->k / 32, sub = apus_int8_sub(type), shift = apus_int8_shift(type);
    __m512 acc[APUS_INT8_MAX_ROWS][APUS_INT8_MAX_GROUPS];
    for (int j = 0; j < ROWS; j++)
        for (int g = 0; g < GROUPS; g++) acc[j][g] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const act_tile32 *t[APUS_INT8_MAX_GROUPS];
        for (int g = 0; g < GROUPS; g++) t[g] = act + (size_t)g * blocks + b;
        for (int h = 0; h < 32 / sub; h++) {
            __m512i sums[APUS_INT8_MAX_ROWS][APUS_INT8_MAX_GROUPS];
            for (int g = 0; g < GROUPS; g++) {
                __m512i start = _mm512_setzero_si512();
                if (shift >= 0) { /* −offset · Σ q */
                    const __m512i all = _mm512_loadu_si512(t[g]->nsum), lo = _mm512_loadu_si512(t[g]->nsumLo);
                    start = _mm512_slli_epi32(sub == 32 ? all : h ? _mm512_sub_epi32(all, lo) : lo, shift);
                }
                for (int j = 0; j < ROWS; j++) sums[j][g] = start;
            }
            for (int q = h * sub / 4; q < (h + 1) * sub / 4; q++) {
                __m512i x[APUS_INT8_MAX_GROUPS];
                for (int g = 0; g < GROUPS; g++) x[g] = _mm512_loadu_si512(t[g]->q[q]);
                for (int j = 0; j < ROWS; j++) {
                    int32_t word;
                    memcpy(&word, w->u + (size_t)j * w->k + 32 * b + 4 * q, 4);
                    const __m512i u = _mm512_set1_epi32(word);
                    for (int g = 0; g < GROUPS; g++) sums[j][g] = _mm512_dpbusd_epi32(sums[j][g], u, x[g]);
                }
            }
            const int s = (32 * b + h * sub) / sub;
            for (int j = 0; j < ROWS; j++) {
                const __m512 dw = _mm512_set1_ps(w->dw[(size_t)j * w->subBlocks + s]);
                for (int g = 0; g < GROUPS; g++) {
                    const __m512 scale = _mm512_mul_ps(_mm512_loadu_ps(t[g]->d), dw);
                    acc[j][g] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[j][g]), scale, acc[j][g]);
                    if (apus_int8_has_min(type))
                        acc[j][g] = _mm512_fmadd_ps(
                            _mm512_loadu_ps(t[g]->s), _mm512_set1_ps(w->cw[(size_t)j * w->subBlocks + s]), acc[j][g]);
                }
            }
        }
    }
    int stored = GROUPS;
    if (o->split) { /* a group and its residual pass: GROUPS is 2 */
        for (int j = 0; j < ROWS; j++) acc[j][0] = _mm512_add_ps(acc[j][0], acc[j][1]);
        stored = 1;
    }
    for (int g = 0; g < stored; g++) {
        const int first = g * APUS_INT8_GROUP;
        float *c = o->c + (size_t)first * o->ldc;
        if (ROWS == 4 && o->valid - first >= APUS_INT8_GROUP) {
            __m512 a[4];
            for (int j = 0; j < 4; j++) a[j] = acc[j][g];
            store4x16(a, c, o->ldc, o->accumulate);
            continue;
        }
        float sums[APUS_INT8_MAX_ROWS * APUS_INT8_GROUP];
        for (int j = 0; j < ROWS; j++) _mm512_storeu_ps(sums + j * APUS_INT8_GROUP, acc[j][g]);
        const int8_output rest = {c, o->ldc, o->valid - first, 0, o->accumulate};
        apus_int8_store(sums, ROWS, 1, &rest);
    }
}

/* The tile kernel of one type: 4 weight rows at once, fewer one by one. */
#define DEFINE_TILE(name, type)                                                                                  \
    VNNI static void name(const int8_weights *w, int rows, const act_tile32 *act, int groups, const int8_output *o) { \
        if (rows == APUS_INT8_MAX_ROWS) {                                                                        \
            if (groups == 2) tile(type, w, APUS_INT8_MAX_ROWS, act, 2, o);                                       \
            else tile(type, w, APUS_INT8_MAX_ROWS, act, 1, o);                                                   \
            return;                                                                                              \
        }                                                                                                        \
        for (int j = 0; j < rows; j++) {                                                                         \
            const int8_weights row = {w->u + (size_t)j * w->k, w->dw + (size_t)j * w->subBlocks,                 \
                                      w->cw + (size_t)j * w->subBlocks, w->k, w->subBlocks};                     \
            const int8_output column = {o->c + j, o->ldc, o->valid, o->split, o->accumulate};                    \
            if (groups == 2) tile(type, &row, 1, act, 2, &column);                                               \
            else tile(type, &row, 1, act, 1, &column);                                                           \
        }                                                                                                        \
    }
DEFINE_TILE(tile_q4_0, APUS_GGML_Q4_0)
DEFINE_TILE(tile_q4_1, APUS_GGML_Q4_1)
DEFINE_TILE(tile_q5_0, APUS_GGML_Q5_0)
DEFINE_TILE(tile_q5_1, APUS_GGML_Q5_1)
DEFINE_TILE(tile_q8_0, APUS_GGML_Q8_0)
DEFINE_TILE(tile_q4_K, APUS_GGML_Q4_K)
DEFINE_TILE(tile_q5_K, APUS_GGML_Q5_K)
DEFINE_TILE(tile_q6_K, APUS_GGML_Q6_K)

static int has_vnni(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
}

apus_int8_tile_kernel apus_int8_tile_vnni(int type) {
    if (!has_vnni()) return 0;
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
