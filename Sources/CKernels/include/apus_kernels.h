#ifndef APUS_KERNELS_H
#define APUS_KERNELS_H

#include <stddef.h>

/* The runner's f32 kernels: the packed GEMM of every linear layer and decode attention, compiled per function
 * for AVX-512 or AVX2 + FMA (target attributes, no package-wide flags) and chosen at run time from what the CPU
 * has, with plain C elsewhere. */

/* Decode attention for one query token: the `groups` query heads that share one KV head (`q` and `out` are
 * groups × d, contiguous) over the first `keys` cached positions of a request, whose K and V rows are read through
 * its block table: position j lives in row table[j / blockSize] · blockSize + j % blockSize of the cache, at
 * `row · rowStride + offset` floats. out_g = softmax(scale · q_g · Kᵀ) · V. `scores` holds groups × keys floats. */
void apus_attend_decode(
    int groups, int d, const float *q, const float *kCache, const float *vCache, const int *table, int blockSize,
    size_t rowStride, size_t offset, int keys, float scale, float *out, float *scores);

/* Causal softmax of prefill attention scores: `rows` rows of `width` floats, each multiplied by `scale`; row i is
 * normalised over its first min(firstValid + i, width) entries and the rest (future positions) set to 0. */
void apus_softmax_causal(float *scores, int rows, int width, int firstValid, float scale);

/* ---- The packed GEMM of the linear layers (gemm_packed.c) ---- */

/* Output rows of W per packed panel. */
#define APUS_PANEL 32

/* The widest kernel this CPU runs: 2 AVX-512, 1 AVX2 + FMA, 0 plain C. */
int apus_gemm_best_isa(void);

/* Floats of W [n, k] once packed: whole panels of APUS_PANEL rows (the last one zero-padded). */
size_t apus_packed_count(int n, int k);

/* Packs W [n, k] (row stride ldw, a PyTorch Linear weight) into panels: panel p holds rows 32p ..< 32p + 32
 * k-major, packed[(p · k + q) · 32 + j] = W[32p + j, q] (0 past row n). `packed` holds apus_packed_count floats. */
void apus_pack_panels(int n, int k, const float *w, size_t ldw, float *packed);

/* The inverse: W [n, k] (row stride k) from its panels. */
void apus_unpack_panels(int n, int k, const float *packed, float *w);

/* C[m, j] = Σ_q X[m, q] · W[j, q]  (+ C[m, j] when accumulate != 0) for m < rows and the columns j of panels
 * [panelBegin, panelEnd) below n, with W packed by apus_pack_panels. X is rows × k (row stride ldx), C rows × n
 * (row stride ldc). `isa` picks the kernel (at most apus_gemm_best_isa()). Disjoint panel ranges may run on
 * different threads. Returns 0, or -1 for an ISA this CPU lacks, -2 when the scratch block cannot be allocated. */
int apus_gemm_packed(
    int isa, int rows, int k, const float *x, size_t ldx, const float *packed, int n, float *c, size_t ldc,
    int panelBegin, int panelEnd, int accumulate);

/* The same with `panelStride` floats between consecutive panels (apus_gemm_packed: k · APUS_PANEL), for panels
 * packed over a longer K than this product uses (attention: keys of a causal tile, a prefix of the sequence). */
int apus_gemm_packed_strided(
    int isa, int rows, int k, const float *x, size_t ldx, const float *packed, size_t panelStride, int n, float *c,
    size_t ldc, int panelBegin, int panelEnd, int accumulate);

/* ---- The forward pass's worker threads (worker_pool.c) ---- */

/* A function run on parts 0 ..< parts of one parallel loop; `context` is the caller's. */
typedef void (*apus_parallel_body)(void *context, int part);

/* Runs body(context, part) once for every part in 0 ..< parts on `threads` threads in all: the caller and
 * threads - 1 workers of one process-wide pool (started on first use, never stopped). Parts are taken
 * dynamically, so a worker that comes late only shortens the others' share. The pool grows to the most threads
 * asked for. Workers spin briefly between loops (the forward pass runs dozens of loops a few microseconds apart)
 * and then sleep; waking a sleeping thread costs tens of microseconds, a spinning one well under one. Returns 1
 * when it ran the loop, 0 when the pool was busy with another caller's loop or cannot start a thread (the caller
 * then runs the loop its own way); threads <= 1 or parts <= 1 run on the caller alone and return 1. */
int apus_parallel_for(int threads, int parts, apus_parallel_body body, void *context);

/* How many workers the pool has started (0 before first use). Read it when no loop is being started. */
int apus_parallel_workers(void);

/* Returns the heap's free pages to the system (glibc's malloc_trim; nothing elsewhere). glibc keeps the memory of
 * freed large buffers in its heap once its mmap threshold has risen past their size. */
void apus_release_free_memory(void);

/* A sealed anonymous memory file of `size` bytes (Linux memfd_create, close-on-exec; its size can never change
 * again, so a mapping of it never faults past its end): the file descriptor, or -1 with errno set (ENOSYS where
 * memfd does not exist). */
int apus_memfd_create(const char *name, size_t size);

#endif
