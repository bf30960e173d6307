import ServingCore

@testable import Scheduling

/// Builders shared by the tests: tiny configs and requests with exact token ids.
enum TestSupport {
    static let hasher = BlockHasher(blockSize: 16, seed: 0)

    /// `count` token ids starting at `start` (distinct runs make distinct blocks).
    static func tokens(_ start: Int, _ count: Int) -> [TokenID] { (start..<(start + count)).map { TokenID($0) } }

    static func request(
        _ id: String, _ prompt: [TokenID], maxTokens: Int = 16, promptLogprobs: Int? = nil, cacheSalt: String? = nil,
        hasher: BlockHasher? = TestSupport.hasher
    ) -> Request {
        var p = SamplingParams()
        p.maxTokens = maxTokens
        p.promptLogprobs = promptLogprobs
        return Request(
            requestID: id, promptTokenIDs: prompt, samplingParams: p, cacheSalt: cacheSalt, blockHasher: hasher)
    }

    /// A KV manager over `numGPUBlocks` blocks (block 0 is null), block size 16.
    static func manager(numGPUBlocks: Int = 11, caching: Bool = true, events: Bool = false) -> KVCacheManager {
        KVCacheManager(
            numGPUBlocks: numGPUBlocks, blockSize: 16, maxModelLen: 8192, enableCaching: caching,
            enableKVCacheEvents: events)
    }

    /// Looks up the prefix cache and allocates the whole prompt, as an admission would; marks it computed.
    @discardableResult
    static func admit(_ m: KVCacheManager, _ r: Request) -> (hit: [Int], new: [Int]?) {
        let (hit, hitTokens) = m.getComputedBlocks(r)
        let new = m.allocateSlots(
            r, numNewTokens: r.numTokens - hitTokens, numNewComputedTokens: hitTokens, newComputedBlocks: hit)
        if new != nil { r.setNumComputedTokens(r.numTokens) }
        return (hit, new)
    }

    static func config(
        blocks: Int = 10_000, maxNumSeqs: Int = 256, budget: Int = 8192, maxModelLen: Int = 8192,
        caching: Bool = true, chunked: Bool = true, threshold: Int = 0, policy: SchedulingPolicy = .fcfs
    ) -> SchedulerConfig {
        SchedulerConfig(
            blockSize: 16, numGPUBlocks: blocks, maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: budget,
            maxModelLen: maxModelLen, enablePrefixCaching: caching, enableChunkedPrefill: chunked,
            longPrefillTokenThreshold: threshold, policy: policy)
    }

    static func params(maxTokens: Int = 16, stop: [TokenID] = [], ignoreEOS: Bool = false) -> SamplingParams {
        var p = SamplingParams()
        p.maxTokens = maxTokens
        p.stopTokenIDs = stop
        p.ignoreEOS = ignoreEOS
        return p
    }

    /// The runner's answer: `token` for every scheduled request past its prefill, `[]` for partial chunks.
    static func runnerOutput(_ s: Scheduler, _ out: SchedulerOutput, token: TokenID = 7) -> ModelRunnerOutput {
        let order = s.scheduledRequests(stepID: out.stepID)
        return ModelRunnerOutput(
            stepID: out.stepID, reqIDs: order.map(\.requestID),
            sampledTokenIDs: order.map { $0.numComputedTokens >= $0.numTokens ? [token] : [] })
    }

    /// Explicit tokens per request id (missing ids get `[]`).
    static func runnerOutput(_ out: SchedulerOutput, _ tokens: [String: [TokenID]]) -> ModelRunnerOutput {
        let ids = Array(out.numScheduledTokens.keys).sorted()
        return ModelRunnerOutput(stepID: out.stepID, reqIDs: ids, sampledTokenIDs: ids.map { tokens[$0] ?? [] })
    }
}

/// vLLM's column view of the cached rows (its `CachedRequestData` lists), the shape the reference's checks use.
extension Array where Element == CachedRequestData {
    var reqIDs: [String] { map(\.reqID) }
    var resumedReqIDs: Set<String> { Set(filter(\.resumed).map(\.reqID)) }
    var newBlockIDs: [[Int]] { map(\.newBlockIDs) }
    var numComputedTokens: [Int] { map(\.numComputedTokens) }
    var numOutputTokens: [Int] { map(\.numOutputTokens) }
    var allTokenIDs: [String: [TokenID]] {
        Dictionary(uniqueKeysWithValues: compactMap { r in r.allTokenIDs.map { (r.reqID, $0) } })
    }
}
