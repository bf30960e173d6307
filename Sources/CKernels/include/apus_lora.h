#ifndef APUS_LORA_H
#define APUS_LORA_H

#include <stddef.h>
#include <stdint.h>

/* The low-rank update of multi-LoRA serving (docs/lora.md), in two kernels as vLLM's punica: shrink, t = x · Aᵀ,
 * then expand, y += t · Bᵀ, over a list of rows that share one adapter. Row r of x and of y is at
 * (rows[i] - rowBase) · ld; t has one row per listed row.
 *
 * Every value is computed in an order fixed by the shapes alone (a dot product over k in 8-float blocks with
 * two accumulators, then its last k % 8 terms; a sum over j from 0 up), never by which rows are listed, how many,
 * or how the work is split into [begin, end) ranges; so a row gets bit-identical results alone or in any batch.
 * AVX2 + FMA where the CPU has them, plain C elsewhere (a different but equally fixed order). */

/* t[i · ldt + j] = Σ_q x[rows[i]-rowBase][q] · a[j · k + q] for i < nrows and jBegin <= j < jEnd
 * (a is [rank, k] row-major: PEFT's lora_A). */
void apus_lora_shrink(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt);

/* y[rows[i]-rowBase][o] += Σ_{j < rank} t[i · ldt + j] · bt[j · n + o] for i < nrows and oBegin <= o < oEnd
 * (bt is [rank, n] row-major: lora_B transposed, scaling folded in). The sum over j is formed first, then added
 * to y. */
void apus_lora_expand(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy);

#endif
