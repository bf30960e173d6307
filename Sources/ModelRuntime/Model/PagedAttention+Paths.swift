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

    /// A prefill chunk: gather the request's K and V rows once, straight into the packed GEMM's panel layout (K as
    /// the weight of `Q Kᵀ`, V as the transposed weight of `P V`), then per head and tile of query rows
    /// `P = softmax(scale · Q Kᵀ)` (causally masked) and `O = P V` on the GEMM kernel. `scratch` holds
    /// `gemmScratchFloats(seqLen:)` floats.
    func attendGEMM(
        kvh: Int, qStart: Int, n: Int, seqLen: Int, _ cache: PagedRows, _ p: SharedPointers,
        qkvStride: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let d = headDim
        let panel = PackedMatrix.panel
        let groups = numHeads / numKVHeads
        let outStride = numHeads * headDim
        let valuePanels = (d + panel - 1) / panel
        // Keys: panel j / 32 holds positions 32·(j / 32) ..< +32, d-major. Values: panel c holds dims 32c ..< 32c + 32
        // of every position, position-major (so a causal tile uses a prefix of each panel).
        let keys = scratch
        let values = keys + (seqLen + panel - 1) / panel * panel * d
        let probs = values + valuePanels * panel * seqLen
        cache.forEach(seqLen) { j, row in
            let k = cache.keys + row
            let lane = keys + (j / panel) * d * panel + j % panel
            for q in 0..<d { lane[q * panel] = k[q] }
            let v = cache.values + row
            for c in 0..<valuePanels {
                (values + (c * seqLen + j) * panel).update(from: v + c * panel, count: min(panel, d - c * panel))
            }
        }
        let isa = Kernels.GEMMKernel.chosen.rawValue
        for g in 0..<groups {
            let h = kvh * groups + g
            for tile in stride(from: 0, to: n, by: queryTile) {
                let rows = min(queryTile, n - tile)
                // Keys visible to the tile's last row; earlier rows mask the tail.
                let width = seqLen - n + tile + rows
                var status = apus_gemm_packed_strided(
                    isa, Int32(rows), Int32(d), p.qkv + (qStart + tile) * qkvStride + h * d, qkvStride, keys,
                    d * panel, Int32(width), probs, width, 0, Int32((width + panel - 1) / panel), 0)
                apus_softmax_causal(probs, Int32(rows), Int32(width), Int32(seqLen - n + tile + 1), scale)
                status |= apus_gemm_packed_strided(
                    isa, Int32(rows), Int32(width), probs, width, values, seqLen * panel, Int32(d),
                    p.out + (qStart + tile) * outStride + h * d, outStride, 0, Int32(valuePanels), 0)
                precondition(status == 0, "GEMM kernel failed in attention")
            }
        }
    }

    /// Scratch floats `attendGEMM` needs for a sequence of `seqLen` keys.
    func gemmScratchFloats(seqLen: Int) -> Int {
        let panel = PackedMatrix.panel
        return (seqLen + panel - 1) / panel * panel * headDim + (headDim + panel - 1) / panel * panel * seqLen
            + seqLen * queryTile
    }
}
