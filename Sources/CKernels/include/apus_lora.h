#ifndef APUS_LORA_H
#define APUS_LORA_H

#include <stddef.h>
#include <stdint.h>

/* The low-rank update of multi-LoRA serving (docs/lora.md), in two kernels as vLLM's punica: shrink, t = x · Aᵀ,
 * then expand, y += t · Bᵀ, over a list of rows that share one adapter. Row r of x and of y is at
 * (rows[i] - rowBase) · ld; t has one row per listed row.
 *
 * Every value is computed in an order fixed by the shapes alone (a dot product over k in 8-float blocks into one
 * accumulator, then its last k % 8 terms; a sum over j from 0 up), never by which rows are listed, how many,
 * or how the work is split into [begin, end) ranges; so a row gets bit-identical results alone or in any batch.
 * AVX2 + FMA where the CPU has them, plain C elsewhere (a different but equally fixed order). */

/* t[i · ldt + j] = Σ_q x[rows[i]-rowBase][q] · a[j · k + q] for i < nrows and jBegin <= j < jEnd
 * (a is [rank, k] row-major: PEFT's lora_A). */
void apus_lora_shrink(
    int nrows, const int32_t *rows, int rowBase, const float *x, size_t ldx, int k, const float *a, int jBegin,
    int jEnd, float *t, size_t ldt);

/* Columns of Bᵀ per packed panel. */
#define APUS_LORA_PANEL 32

/* Floats of Bᵀ [rank, n] packed: whole panels of APUS_LORA_PANEL columns (the last one zero-padded). */
size_t apus_lora_packed_count(int rank, int n);

/* Packs B [n, rank] (PyTorch's lora_B, row-major) times `scale` into panels: panel p holds columns 32p ..< 32p + 32
 * of Bᵀ, j-major: packed[(p · rank + j) · 32 + c] = scale · B[32p + c, j] (0 past column n). */
void apus_lora_pack(int rank, int n, const float *b, float scale, float *packed);

/* y[rows[i]-rowBase][o] += Σ_{j < rank} t[i · ldt + j] · Bᵀ[j, o] for i < nrows and oBegin <= o < oEnd, Bᵀ packed by
 * apus_lora_pack (oBegin a multiple of APUS_LORA_PANEL). The sum over j is formed first, then added to y. */
void apus_lora_expand(
    int nrows, const int32_t *rows, int rowBase, const float *t, size_t ldt, int rank, const float *bt, int n,
    int oBegin, int oEnd, float *y, size_t ldy);

#endif
