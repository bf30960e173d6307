#ifndef APUS_QUANT_H
#define APUS_QUANT_H

#include <stddef.h>

/* Kernels for linear weights kept in their stored format: GGUF block-quantized types and 16-bit floats. A weight
 * W [n, k] is n rows of `rowBytes` bytes, each row k / blockSize blocks of its ggml type (numbered as in GGUF
 * files: `type` below is the ggml_type number). `isa` is apus_gemm_best_isa()'s scale: 0 plain C, 1 AVX2 + FMA +
 * F16C, 2 AVX-512 (the quantized dot products run AVX2 there; the f32 GEMM of the prefill tiles runs AVX-512). */

/* The types these kernels take. */
enum {
    APUS_GGML_F32 = 0,
    APUS_GGML_F16 = 1,
    APUS_GGML_Q4_0 = 2,
    APUS_GGML_Q4_1 = 3,
    APUS_GGML_Q5_0 = 6,
    APUS_GGML_Q5_1 = 7,
    APUS_GGML_Q8_0 = 8,
    APUS_GGML_Q4_K = 12,
    APUS_GGML_Q5_K = 13,
    APUS_GGML_Q6_K = 14,
    APUS_GGML_BF16 = 30,
};

/* Dequantizes `count` values (whole blocks) of `type` at `src` into `out`, bit for bit as the gguf Python
 * package's gguf.quants.dequantize (same float32 operations in the same order, no fused multiply-adds) with
 * every `isa`. Returns 0, or -1 for a type these kernels do not take or an ISA this CPU lacks. */
int apus_quant_dequantize(int isa, int type, const void *src, float *out, int count);

/* ---- Decode-size batches: activations quantized once per call, integer dot products per weight block ---- */

/* Bytes of the prepared activations of `rows` rows of width k for a weight of `type`: int8 blocks of 32 values
 * (Q4_0 … Q8_0) or 256 values with sums per 16 (Q4_K, Q5_K, Q6_K); 0 for the float types, which take the f32
 * rows as they are. */
size_t apus_quant_act_bytes(int type, int rows, int k);

/* Quantizes X (rows × k, row stride ldx) into `act` (apus_quant_act_bytes bytes) for dot products with `type`:
 * per block, d = max |x| / 127 and q = round(x / d). Nothing for the float types. */
void apus_quant_prepare(int type, int rows, int k, const float *x, size_t ldx, void *act);

/* residual (rows × k, row stride k) = X − the dequantized activations `act` that apus_quant_prepare made of X: what
 * int8 activations lose. A product of W with [X; residual] (two int8 passes in one read of W) sums to W · X within
 * about 1/254² of each block's largest value instead of 1/254 (0 for the float types, which take X as it is). */
void apus_quant_residual(int type, int rows, int k, const float *x, size_t ldx, const void *act, float *residual);

/* C[m, j] = X[m] · W[j]  (+ C[m, j] when accumulate) for m < rows and j in [rowBegin, rowEnd): `act` from
 * apus_quant_prepare for the quantized types, X itself (row stride k) for F32, F16 and BF16. Each W row is read
 * from memory once per 8 rows of X and each of its blocks unpacked once for them. Disjoint W row ranges may run on
 * different threads.
 * Returns 0, or -1 for an unknown type or an ISA this CPU lacks. */
int apus_quant_gemv(
    int isa, int type, int rows, int k, const void *act, const void *w, size_t rowBytes, float *c, size_t ldc,
    int rowBegin, int rowEnd, int accumulate);

/* ---- Mid-size batches: int8 products in register tiles ---- */

/* Bytes of X prepared by apus_quant_int8_prepare: groups of 16 rows (the last one padded), k / 32 tiles of 768
 * bytes per group; twice as many groups when split. */
size_t apus_quant_int8_act_bytes(int rows, int k, int split);

/* Quantizes X (rows × k, row stride ldx; k a multiple of 32) into `act` for apus_quant_int8_gemm with any
 * quantized type: per row and 32 values, d = max |x| / 127 and q = round(x / d), interleaved 16 rows at a time.
 * When split, each group of 16 rows is followed by the quantization of what its own quantization lost (x − d · q),
 * so that a product sums both: within about 1/254² of each block's largest value instead of 1/254, as
 * apus_quant_residual. The bytes are the same with every `isa`. */
void apus_quant_int8_prepare(int isa, int rows, int k, const float *x, size_t ldx, int split, void *act);

/* C[m, j] = X[m] · W[j]  (+ C[m, j] when accumulate) for m < rows and j in [rowBegin, rowEnd), `act` prepared by
 * apus_quant_int8_prepare with the same rows, k and split, W of a quantized type. Four weight rows at a time are
 * unpacked once into bytes and multiplied with every row of X in int32, 16 rows of X per vector lane set (AVX-512
 * VNNI where `isa` is 2 and the CPU has it, AVX2 otherwise, plain C at 0). Disjoint W row ranges may run on
 * different threads. Returns 0, -1 for a float type or an ISA this CPU lacks, or -2 when the per-thread buffer of
 * unpacked rows cannot be allocated. */
int apus_quant_int8_gemm(
    int isa, int type, int rows, int k, const void *act, int split, const void *w, size_t rowBytes, float *c,
    size_t ldc, int rowBegin, int rowEnd, int accumulate);

/* ---- Prefill-size batches: W dequantized a group of panels at a time into a per-thread buffer, then f32 GEMM ---- */

/* C[m, j] = Σ_q X[m, q] · W[j, q]  (+ C[m, j] when accumulate) for m < rows and the columns of panels
 * [panelBegin, panelEnd) of APUS_PANEL W rows below n: each group of panels is dequantized into the packed layout
 * of apus_pack_panels (in a per-thread buffer of up to 2 MB) and multiplied with apus_gemm_packed_strided in one
 * call, which packs X once per group. Returns 0, -1 (type or ISA), or -2 when the buffer cannot be allocated. */
int apus_quant_gemm(
    int isa, int type, int rows, int k, const float *x, size_t ldx, const void *w, size_t rowBytes, int n, float *c,
    size_t ldc, int panelBegin, int panelEnd, int accumulate);

#endif
