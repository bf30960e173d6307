import CBLAS
import CKernels
import Foundation

extension PagedAttention {
    /// Few query tokens (decodes): per query token, `CKernels`' decode attention straight over the cached rows
    /// (AVX2/FMA dot products, a vectorised exp, the weighted sum), each K/V row read once for all query heads of
    /// the group. `scores` holds `groups × (seqLen + 2)` floats.
    func attendDirect(
        kvh: Int, qStart: Int, n: Int, seqLen: Int, _ cache: PagedRows, _ p: SharedPointers,
        qkvStride: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let d = headDim
        let groups = numHeads / numKVHeads
        let outStride = numHeads * headDim
        for i in 0..<n {
            let t = qStart + i
            // The group's query heads (and output heads) are adjacent.
            apus_attend_decode(
                Int32(groups), Int32(d), p.qkv + t * qkvStride + kvh * groups * d, cache.keys, cache.values,
                cache.table, Int32(cache.blockSize), cache.rowStride, cache.offset, Int32(seqLen - n + i + 1), scale,
                p.out + t * outStride + kvh * groups * d, scores)
        }
    }

    /// A prefill chunk: gather the request's K and V rows once, then per head and tile of query rows
    /// `P = softmax(scale · Q Kᵀ)` (causally masked) and `O = P V` as GEMMs.
    func attendGEMM(
        kvh: Int, qStart: Int, n: Int, seqLen: Int, _ cache: PagedRows, _ p: SharedPointers,
        qkvStride: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let d = headDim
        let groups = numHeads / numKVHeads
        let outStride = numHeads * headDim
        let k = scratch
        let v = scratch + seqLen * d
        let probs = scratch + 2 * seqLen * d
        cache.forEach(seqLen) { j, row in
            (k + j * d).update(from: cache.keys + row, count: d)
            (v + j * d).update(from: cache.values + row, count: d)
        }
        for g in 0..<groups {
            let h = kvh * groups + g
            for tile in stride(from: 0, to: n, by: queryTile) {
                let rows = min(queryTile, n - tile)
                // Keys visible to the tile's last row; earlier rows mask the tail.
                let width = seqLen - n + tile + rows
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(width), Int32(d), scale,
                    p.qkv + (qStart + tile) * qkvStride + h * d, Int32(qkvStride), k, Int32(d), 0,
                    probs, Int32(width))
                apus_softmax_causal(probs, Int32(rows), Int32(width), Int32(seqLen - n + tile + 1))
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(width), 1,
                    probs, Int32(width), v, Int32(d), 0, p.out + (qStart + tile) * outStride + h * d,
                    Int32(outStride))
            }
        }
    }
}
