import Dispatch
import Foundation

/// Causal attention over the paged KV cache for a mixed batch of prefill chunks and decodes.
///
/// `forward` first writes this step's K/V at the slot mapping, then for every (request, query head) pair —
/// in parallel — attends each query token to every cached position up to its own, reading K/V rows through
/// the block table. A prefill chunk on top of a cached prefix and a single-token decode are the same case.
struct PagedAttention {
    let numHeads: Int
    let numKVHeads: Int
    let headDim: Int
    let scale: Float

    /// Multiply-adds (query tokens × keys × heads × headDim) below which attention runs on the calling thread.
    var parallelWorkThreshold = 1 << 20

    init(config: ModelConfig) {
        numHeads = config.numHeads
        numKVHeads = config.numKVHeads
        headDim = config.headDim
        scale = 1 / Float(config.headDim).squareRoot()
    }

    /// Copies K and V of every token (rows of `qkv` with stride `qkvStride`: q, then k, then v) into the cache.
    func writeKV(qkv: UnsafePointer<Float>, qkvStride: Int, slotMapping: [Int64], cacheK: FloatBuffer,
                 cacheV: FloatBuffer) {
        let kvSize = numKVHeads * headDim, qSize = numHeads * headDim
        for (t, slot) in slotMapping.enumerated() where slot >= 0 {
            let row = qkv + t * qkvStride
            (cacheK.pointer + Int(slot) * kvSize).update(from: row + qSize, count: kvSize)
            (cacheV.pointer + Int(slot) * kvSize).update(from: row + qSize + kvSize, count: kvSize)
        }
    }

    /// Writes `out[t, h·headDim ..< (h+1)·headDim]` for every query token t and head h.
    func forward(qkv: UnsafePointer<Float>, qkvStride: Int, metadata m: AttentionMetadata, blockSize: Int,
                 cacheK: FloatBuffer, cacheV: FloatBuffer, out: UnsafeMutablePointer<Float>) {
        let numRequests = m.numRequests
        guard numRequests > 0 else { return }
        let maxSeq = Int(m.seqLens.max() ?? 0)
        let groups = numHeads / numKVHeads
        let kvStride = numKVHeads * headDim
        let (d, outStride, scale) = (headDim, numHeads * headDim, scale)
        m.blockTables.withUnsafeBufferPointer { tablesBuffer in
            // NOTE: work items write disjoint `out` rows and only read the rest, so sharing raw pointers is safe.
            let shared = SharedPointers(qkv: qkv, out: out, tables: tablesBuffer.baseAddress!,
                                        keys: cacheK.pointer, values: cacheV.pointer)
            // NOTE: small batches (decodes over short contexts) run inline: waking pool threads costs more
            // than the work, and on a loaded machine a preempted worker stalls the whole layer.
            var work = 0
            for r in 0..<numRequests {
                work += Int(m.queryStartLoc[r + 1] - m.queryStartLoc[r]) * Int(m.seqLens[r]) * numHeads * d
            }
            let (numHeads, blockSize) = (numHeads, blockSize)
            let body: @Sendable (Int) -> Void = { item in
                let r = item / numHeads, h = item % numHeads, kvh = h / groups
                let qStart = Int(m.queryStartLoc[r]), qEnd = Int(m.queryStartLoc[r + 1])
                let seqLen = Int(m.seqLens[r])
                let table = shared.tables + r * m.maxBlocksPerRequest
                withUnsafeTemporaryAllocation(of: Float.self, capacity: max(maxSeq, 1)) { scores in
                    let s = scores.baseAddress!
                    for t in qStart..<qEnd {
                        let position = seqLen - (qEnd - qStart) + (t - qStart)
                        let q = shared.qkv + t * qkvStride + h * d
                        var maxScore = -Float.infinity
                        for j in 0...position {
                            let slot = Int(table[j / blockSize]) * blockSize + j % blockSize
                            let score = Kernels.dot(q, shared.keys + slot * kvStride + kvh * d, count: d) * scale
                            s[j] = score
                            maxScore = max(maxScore, score)
                        }
                        let o = shared.out + t * outStride + h * d
                        o.update(repeating: 0, count: d)
                        var sum: Float = 0
                        for j in 0...position {
                            let p = expf(s[j] - maxScore)
                            sum += p
                            let slot = Int(table[j / blockSize]) * blockSize + j % blockSize
                            Kernels.axpy(p, shared.values + slot * kvStride + kvh * d, o, count: d)
                        }
                        let inv = 1 / sum
                        for i in 0..<d { o[i] *= inv }
                    }
                }
            }
            if work < parallelWorkThreshold {
                for item in 0..<numRequests * numHeads { body(item) }
            } else {
                DispatchQueue.concurrentPerform(iterations: numRequests * numHeads, execute: body)
            }
        }
    }
}

/// Raw pointers handed to `concurrentPerform` work items (which write disjoint rows).
struct SharedPointers: @unchecked Sendable {
    let qkv: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let tables: UnsafePointer<Int32>
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
}
