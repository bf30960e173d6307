import Dispatch
import Foundation

/// Causal attention over the paged KV cache for a mixed batch of prefill chunks and decodes.
///
/// `forward` first writes this step's K/V at the slot mapping, then handles every (request, KV head) pair —
/// spread over threads — reading K/V through the block table; a prefill chunk on top of a cached prefix and a
/// single-token decode are the same case. Few query tokens (decodes) walk the cache blocks directly; a chunk
/// of `gemmQueryThreshold` or more gathers its K/V once into the GEMM kernel's packed layout and runs QKᵀ and PV
/// on that kernel in tiles of `queryTile` query rows.
struct PagedAttention {
    let numHeads: Int
    let numKVHeads: Int
    let headDim: Int
    let scale: Float
    /// Multiply-adds (query tokens × keys × heads × headDim) below which attention runs on the calling thread.
    var parallelWorkThreshold = 1 << 18
    /// Query tokens from which a request's attention uses the GEMM path.
    var gemmQueryThreshold = 8
    /// Query rows per GEMM tile (bounds the scores scratch to `queryTile × seqLen`).
    var queryTile = 64

    init(config: ModelConfig) {
        numHeads = config.numHeads
        numKVHeads = config.numKVHeads
        headDim = config.headDim
        scale = 1 / Float(config.headDim).squareRoot()
    }

    /// Copies K and V of every token (rows of `qkv` with stride `qkvStride`: q, then k, then v) into the cache.
    func writeKV(
        qkv: UnsafePointer<Float>, qkvStride: Int, slotMapping: [Int64], cacheK: FloatBuffer,
        cacheV: FloatBuffer
    ) {
        let kvSize = numKVHeads * headDim
        let qSize = numHeads * headDim
        for (t, slot) in slotMapping.enumerated() where slot >= 0 {
            let row = qkv + t * qkvStride
            (cacheK.pointer + Int(slot) * kvSize).update(from: row + qSize, count: kvSize)
            (cacheV.pointer + Int(slot) * kvSize).update(from: row + qSize + kvSize, count: kvSize)
        }
    }

    /// Threads `forward` will use and the scratch floats it needs, for the workspace to provide.
    func plan(_ m: AttentionMetadata) -> (threads: Int, scratchFloatsPerThread: Int) {
        var work = 0
        var usesGEMM = false
        for r in 0..<m.numRequests {
            let n = Int(m.queryStartLoc[r + 1] - m.queryStartLoc[r])
            work += n * Int(m.seqLens[r]) * numHeads * headDim
            usesGEMM = usesGEMM || n - m.decodeQueries(ofRequest: r) >= gemmQueryThreshold
        }
        // Small batches (decodes over short contexts) run inline too: waking pool threads costs more than
        // the work, and on a loaded machine a preempted worker stalls the whole layer.
        let parallel = work >= parallelWorkThreshold
        let items = m.numRequests * numKVHeads
        let threads = parallel ? max(1, min(ProcessInfo.processInfo.activeProcessorCount, items)) : 1
        let maxSeq = Int(m.seqLens.max() ?? 0)
        let gemmScratch = usesGEMM ? gemmScratchFloats(seqLen: maxSeq) : 0
        let directScratch = (numHeads / numKVHeads) * (maxSeq + 2)
        return (threads, max(gemmScratch, directScratch))
    }

    /// Writes `out[t, h·headDim ..< (h+1)·headDim]` for every query token t and head h; `scratch` holds
    /// `plan(m).threads × plan(m).scratchFloatsPerThread` floats.
    func forward(
        qkv: UnsafePointer<Float>, qkvStride: Int, metadata m: AttentionMetadata, blockSize: Int,
        cacheK: FloatBuffer, cacheV: FloatBuffer, out: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard m.numRequests > 0 else { return }
        let (threads, perThread) = plan(m)
        let items = m.numRequests * numKVHeads
        m.blockTables.withUnsafeBufferPointer { tables in
            // NOTE: items write disjoint `out` rows and their own scratch, and only read the rest.
            let p = SharedPointers(
                qkv: qkv, out: out, tables: tables.baseAddress!, keys: cacheK.pointer,
                values: cacheV.pointer, scratch: scratch)
            let this = self
            let body: @Sendable (Int) -> Void = { t in
                var item = t
                while item < items {
                    this.attend(
                        item: item, m, p, qkvStride: qkvStride, blockSize: blockSize,
                        scratch: p.scratch + t * perThread)
                    item += threads
                }
            }
            Parallel.run(parts: threads, threads: threads, body)
        }
    }

    /// All query tokens of request `item / numKVHeads` for the query heads sharing KV head `item % numKVHeads`: the
    /// chunk before its decode queries (if any) as one, then each decode query as a decode step.
    private func attend(
        item: Int, _ m: AttentionMetadata, _ p: SharedPointers, qkvStride: Int, blockSize: Int,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let r = item / numKVHeads
        let kvh = item % numKVHeads
        let qStart = Int(m.queryStartLoc[r])
        let n = Int(m.queryStartLoc[r + 1]) - qStart
        let seqLen = Int(m.seqLens[r])
        let table = p.tables + r * m.maxBlocksPerRequest
        let cache = PagedRows(
            keys: p.keys, values: p.values, table: table, blockSize: blockSize,
            rowStride: numKVHeads * headDim, offset: kvh * headDim)
        // NOTE: a chunk of 8 or more queries takes the GEMM path, whose sums run in another order than the decode
        // kernel's; decode queries (drafts) always take the decode kernel, as the steps they stand in for would.
        let decode = m.decodeQueries(ofRequest: r)
        let chunk = n - decode
        if chunk >= gemmQueryThreshold {
            attendGEMM(
                kvh: kvh, qStart: qStart, n: chunk, seqLen: seqLen - decode, cache, p, qkvStride: qkvStride,
                scratch: scratch)
        } else if chunk > 0 {
            attendDirect(
                kvh: kvh, qStart: qStart, n: chunk, seqLen: seqLen - decode, cache, p, qkvStride: qkvStride,
                scores: scratch)
        }
        if decode > 0 {
            attendDirect(
                kvh: kvh, qStart: qStart + chunk, n: decode, seqLen: seqLen, cache, p, qkvStride: qkvStride,
                scores: scratch)
        }
    }
}

/// The K and V rows of one request and KV head, addressed through its block table.
struct PagedRows {
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    let table: UnsafePointer<Int32>
    let blockSize: Int
    let rowStride: Int
    let offset: Int

    /// Calls `body(position, rowOffset)` for positions `0..<count`, one block-table lookup per block.
    @inline(__always)
    func forEach(_ count: Int, _ body: (Int, Int) -> Void) {
        var j = 0
        var b = 0
        while j < count {
            let base = Int(table[b]) * blockSize
            for o in 0..<min(blockSize, count - j) { body(j + o, (base + o) * rowStride + offset) }
            j += blockSize
            b += 1
        }
    }
}

/// Raw pointers handed to the attention threads (which write disjoint rows).
struct SharedPointers: @unchecked Sendable {
    let qkv: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let tables: UnsafePointer<Int32>
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
}
