import CBLAS
import Foundation

extension PagedAttention {
    /// Few query tokens (decodes): per query token, dot products and a weighted sum straight over the cached
    /// rows; each K/V row is read once for all query heads of the group. `scratch` holds
    /// `groups × (seqLen + 2)` floats.
    func attendDirect(
        kvh: Int, qStart: Int, n: Int, seqLen: Int, _ cache: PagedRows, _ p: SharedPointers,
        qkvStride: Int, scores: UnsafeMutablePointer<Float>
    ) {
        let d = headDim
        let groups = numHeads / numKVHeads
        let outStride = numHeads * headDim
        let maxes = scores + groups * seqLen
        let sums = maxes + groups
        for i in 0..<n {
            let t = qStart + i
            let keys = seqLen - n + i + 1
            // The group's query heads (and output heads) are adjacent.
            let q = p.qkv + t * qkvStride + kvh * groups * d
            let o = p.out + t * outStride + kvh * groups * d
            maxes.update(repeating: -.infinity, count: groups)
            cache.forEach(keys) { j, row in
                let k = cache.keys + row
                for g in 0..<groups {
                    let s = Kernels.dot(q + g * d, k, count: d) * scale
                    scores[g * seqLen + j] = s
                    maxes[g] = max(maxes[g], s)
                }
            }
            for g in 0..<groups {
                let row = scores + g * seqLen
                var sum: Float = 0
                for j in 0..<keys {
                    let w = expf(row[j] - maxes[g])
                    row[j] = w
                    sum += w
                }
                sums[g] = sum
            }
            o.update(repeating: 0, count: groups * d)
            cache.forEach(keys) { j, row in
                let v = cache.values + row
                for g in 0..<groups { Kernels.axpy(scores[g * seqLen + j], v, o + g * d, count: d) }
            }
            for g in 0..<groups {
                let inv = 1 / sums[g]
                for k in 0..<d { o[g * d + k] *= inv }
            }
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
                for i in 0..<rows {
                    softmaxRow(probs + i * width, valid: seqLen - n + tile + i + 1, width: width)
                }
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(width), 1,
                    probs, Int32(width), v, Int32(d), 0, p.out + (qStart + tile) * outStride + h * d,
                    Int32(outStride))
            }
        }
    }

    /// Softmax over the first `valid` entries; the rest of the row (future positions) becomes 0.
    @inline(__always)
    private func softmaxRow(_ row: UnsafeMutablePointer<Float>, valid: Int, width: Int) {
        var maxScore = -Float.infinity
        for j in 0..<valid { maxScore = max(maxScore, row[j]) }
        var sum: Float = 0
        for j in 0..<valid {
            let w = expf(row[j] - maxScore)
            row[j] = w
            sum += w
        }
        let inv = 1 / sum
        for j in 0..<valid { row[j] *= inv }
        if valid < width { (row + valid).update(repeating: 0, count: width - valid) }
    }
}
