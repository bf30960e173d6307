#ifndef APUS_QUANT_AVX2_H
#define APUS_QUANT_AVX2_H

/* AVX2 helpers shared by the quant_*.c files (not part of the module's interface): functions compiled for
 * AVX2 + FMA + F16C by target attribute, called only where apus_gemm_best_isa() says the CPU has them. */

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define AVX2Q __attribute__((target("avx2,fma,f16c")))
/* f16 scales through F16C (exact, as apus_half_to_float, in one instruction). */
#define H2F(h) _cvtsh_ss(h)
/* The row kernels are inlined with a constant type and row count, so their accumulators stay in registers. */
#define INLINE static inline __attribute__((always_inline))

/* 16 bytes of nibbles as 32 bytes: the low nibbles (values 0–15), then the high ones (16–31). */
AVX2Q INLINE __m256i nibbles32(const uint8_t *qs) {
    const __m128i b = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(b), _mm_srli_epi16(b, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* 0x10 in byte i where bit i of the 32-bit word is set (the fifth bits of Q5_0 / Q5_1). */
AVX2Q INLINE __m256i fifth_bits(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                          3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i set = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), pick), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(set, bit), _mm256_set1_epi8(0x10));
}

#endif
#endif
