#ifndef APUS_KERNELS_H
#define APUS_KERNELS_H

#include <stddef.h>

/* Register-blocked f32 kernels for the runner's decode-size matmuls, compiled for AVX2 + FMA with a
 * per-function target attribute (no package-wide flags) and chosen at run time only on CPUs that have both. */

/* 1 when this CPU runs the AVX2/FMA kernels; callers fall back to BLAS otherwise. */
int apus_kernels_available(void);

/* C[m, n] = Σ_k X[m, k] · W[n, k]  (+ C[m, n] when accumulate != 0), for m < rows and n in [nBegin, nEnd).
 * X is rows × K (row stride ldx), W is N × K (row stride ldw, the layout of a PyTorch Linear weight),
 * C is rows × N (row stride ldc). Works on W as stored: no packing, so a weight is read once per call.
 * Disjoint [nBegin, nEnd) ranges may run on different threads. */
void apus_sgemm_nt(
    int rows, int k, const float *x, size_t ldx, const float *w, size_t ldw, float *c, size_t ldc,
    int nBegin, int nEnd, int accumulate);

/* Decode attention for one query token: the `groups` query heads that share one KV head (`q` and `out` are
 * groups × d, contiguous) over the first `keys` cached positions of a request, whose K and V rows are read through
 * its block table: position j lives in row table[j / blockSize] · blockSize + j % blockSize of the cache, at
 * `row · rowStride + offset` floats. out_g = softmax(scale · q_g · Kᵀ) · V. `scores` holds groups × keys floats. */
void apus_attend_decode(
    int groups, int d, const float *q, const float *kCache, const float *vCache, const int *table, int blockSize,
    size_t rowStride, size_t offset, int keys, float scale, float *out, float *scores);

#endif
