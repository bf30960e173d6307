import ServingCore
import Testing

@testable import Scheduling

@Suite("Disaggregated prefill/decode in the scheduler: producer holds, consumer pulls, fallbacks")
struct KVTransferSchedulingTests {
    typealias T = TestSupport

    func scheduler(blocks: Int = 10_000) throws -> Scheduler { try Scheduler(config: T.config(blocks: blocks)) }

    /// A producer leg: the prompt, max_tokens 1, do_remote_decode.
    @discardableResult
    func addPrefill(_ s: Scheduler, _ id: String, _ prompt: [TokenID]) throws -> Request {
        try s.addRequest(
            requestID: id, promptTokenIDs: prompt, samplingParams: T.params(maxTokens: 1),
            kvTransfer: KVTransferParams(doRemoteDecode: true))
    }

    /// What a producer's final output hands the consumer, with one runner holding every layer.
    func remote(_ p: KVTransferParams) -> KVTransferParams {
        var p = p
        p.remoteAddress = "producer:1"
        p.remoteRunners = [KVSource(address: "runner:1", layers: 0..<4)]
        return p
    }

    /// A decode leg's params for a 40-token prompt the producer holds in blocks 5, 6, 7.
    func consumerParams() -> KVTransferParams {
        var p = KVTransferParams(doRemotePrefill: true)
        p.remoteBlockIDs = [5, 6, 7]
        p.remoteBlockSize = 16
        p.remoteNumTokens = 40
        return remote(p)
    }

    /// One step with token 7 for every request past its prefill; returns the outputs.
    @discardableResult
    func step(_ s: Scheduler) -> (SchedulerOutput, [EngineCoreOutput]) {
        let out = s.schedule()
        return (out, s.updateFromOutput(out, T.runnerOutput(s, out)))
    }

    @Test("a producer's finished prefill keeps its blocks and answers the params a consumer needs; a release frees them")
    func producerHolds() throws {
        let s = try scheduler()
        let prompt = T.tokens(0, 40)
        try addPrefill(s, "p", prompt)
        let (_, outputs) = step(s)
        let o = try #require(outputs.first)
        #expect(o.finishReason == .length)
        let p = try #require(o.kvTransferParams)
        #expect(p.doRemotePrefill && !p.doRemoteDecode)
        #expect(p.remoteRequestID == "p")
        #expect(p.remoteNumTokens == 40)
        #expect(p.remoteBlockSize == 16)
        #expect(p.remoteBlockIDs.count == 3)
        #expect(s.heldForTransfer["p"] != nil)
        #expect(s.requests["p"] == nil)
        // The held blocks are in use: the pool has 3 fewer free blocks than before.
        let free = s.kvCacheManager.numFreeBlocks
        #expect(s.releaseHeldTransfers(["p", "unknown"]) == ["p"])
        #expect(s.kvCacheManager.numFreeBlocks == free + 3)
        #expect(s.releaseHeldTransfers(["p"]).isEmpty)
    }

    @Test("an aborted prefill holds nothing; an ordinary request is never held")
    func abortedPrefillFrees() throws {
        let s = try scheduler()
        try addPrefill(s, "p", T.tokens(0, 40))
        try s.addRequest(requestID: "plain", promptTokenIDs: T.tokens(100, 8), samplingParams: T.params(maxTokens: 1))
        _ = s.schedule()
        s.finishRequests(["p"], status: .finishedAborted)
        #expect(s.heldForTransfer.isEmpty)
        let (_, outputs) = step(s)
        #expect(outputs.allSatisfy { $0.kvTransferParams == nil })
        #expect(s.heldForTransfer.isEmpty)
    }

    @Test("a consumer waits for its pull without using the token budget, then computes only the last prompt token")
    func consumerPullsThenComputesLastToken() throws {
        let producer = try scheduler()
        let prompt = T.tokens(0, 40)
        try addPrefill(producer, "r", prompt)
        let params = remote(try #require(step(producer).1.first?.kvTransferParams))

        let s = try scheduler()
        try s.addRequest(requestID: "r", promptTokenIDs: prompt, samplingParams: T.params(maxTokens: 4), kvTransfer: params)
        try s.addRequest(requestID: "other", promptTokenIDs: T.tokens(500, 8), samplingParams: T.params(maxTokens: 4))
        let (first, _) = step(s)
        // Only the ordinary request ran; the consumer request waits with its blocks allocated.
        #expect(Set(first.numScheduledTokens.keys) == ["other"])
        let r = try #require(s.requests["r"])
        #expect(r.status == .waitingForRemoteKVs)
        let loads = s.takeKVLoadsToStart()
        #expect(loads.count == 1)
        let load = try #require(loads.first)
        // 39 tokens (all but the last) in 3 blocks, at the producer's positions.
        #expect(load.numTokens == 39)
        #expect(load.remoteBlockIDs == params.remoteBlockIDs)
        #expect(load.localBlockIDs == r.blockIDs)
        #expect(s.takeKVLoadsToStart().isEmpty)
        // Not landed yet: still waiting.
        #expect(step(s).0.numScheduledTokens["r"] == nil)
        s.finishKVLoad("r", success: true)
        let (out, outputs) = step(s)
        #expect(out.numScheduledTokens["r"] == 1)
        let new = try #require(out.scheduledNewReqs.first { $0.reqID == "r" })
        #expect(new.numComputedTokens == 39)
        #expect(outputs.first { $0.reqID == "r" }?.newTokenIDs == [7])
        #expect(outputs.first { $0.reqID == "r" }?.numCachedTokens == 39)
        // The pulled full blocks are in the prefix cache now.
        #expect(s.kvCacheManager.getComputedBlocks(T.request("again", prompt)).numComputedTokens == 32)
    }

    @Test("a failed pull frees its blocks and the request computes the whole prompt itself")
    func failedPullRecomputes() throws {
        let s = try scheduler()
        let p = consumerParams()
        let free = s.kvCacheManager.numFreeBlocks
        try s.addRequest(requestID: "r", promptTokenIDs: T.tokens(0, 40), kvTransfer: p)
        step(s)
        #expect(s.takeKVLoadsToStart().count == 1)
        #expect(s.kvCacheManager.numFreeBlocks == free - 3)
        s.finishKVLoad("r", success: false)
        let (out, _) = step(s)
        #expect(out.numScheduledTokens["r"] == 40)
        #expect(out.scheduledNewReqs.first?.numComputedTokens == 0)
        #expect(s.takeKVLoadsToStart().isEmpty)
    }

    @Test("local prefix-cache hits are not pulled; a fully covered prompt needs no pull at all")
    func localHitsAreNotPulled() throws {
        let s = try scheduler()
        let prompt = T.tokens(0, 40)
        // Warm the prefix cache with the first 32 tokens (2 blocks).
        try s.addRequest(requestID: "warm", promptTokenIDs: Array(prompt.prefix(33)), samplingParams: T.params(maxTokens: 1))
        step(s)
        let p = consumerParams()
        try s.addRequest(requestID: "r", promptTokenIDs: prompt, kvTransfer: p)
        step(s)
        let load = try #require(s.takeKVLoadsToStart().first)
        #expect(load.numLocalHitTokens == 32)
        #expect(load.remoteBlockIDs == [7])
        #expect(load.localBlockIDs.count == 1)
        // A prompt the cache covers up to its last block boundary needs nothing remote.
        var q = p
        q.remoteNumTokens = 33
        try s.addRequest(requestID: "covered", promptTokenIDs: Array(prompt.prefix(33)), kvTransfer: q)
        let (out, _) = step(s)
        #expect(out.numScheduledTokens["covered"] == 1)
        #expect(s.takeKVLoadsToStart().isEmpty)
    }

    @Test("params the consumer cannot use (block size differs, no runners) run as an ordinary request")
    func unusableParams() throws {
        let s = try scheduler()
        var p = KVTransferParams(doRemotePrefill: true)
        p.remoteBlockIDs = [5, 6, 7]
        p.remoteBlockSize = 32
        p.remoteNumTokens = 40
        p = remote(p)
        try s.addRequest(requestID: "size", promptTokenIDs: T.tokens(0, 40), kvTransfer: p)
        p.remoteBlockSize = 16
        p.remoteRunners = []
        try s.addRequest(requestID: "norunner", promptTokenIDs: T.tokens(100, 40), kvTransfer: p)
        let (out, _) = step(s)
        #expect(out.numScheduledTokens == ["size": 40, "norunner": 40])
        #expect(s.takeKVLoadsToStart().isEmpty)
    }

    @Test("a request aborted while its pull runs keeps its blocks until the pull returns")
    func abortDuringPull() throws {
        let s = try scheduler()
        let p = consumerParams()
        let free = s.kvCacheManager.numFreeBlocks
        try s.addRequest(requestID: "r", promptTokenIDs: T.tokens(0, 40), kvTransfer: p)
        step(s)
        #expect(s.takeKVLoadsToStart().count == 1)
        s.finishRequests(["r"], status: .finishedAborted)
        #expect(s.requests["r"] == nil)
        #expect(s.kvCacheManager.numFreeBlocks == free - 3)
        s.finishKVLoad("r", success: true)
        #expect(s.kvCacheManager.numFreeBlocks == free)
    }

    @Test("when the consumer's pull blocks do not fit, admission stops and the request waits its turn")
    func pullWaitsForBlocks() throws {
        // 4 usable blocks: the running request holds 3, the pull needs 3.
        let s = try scheduler(blocks: 5)
        try s.addRequest(requestID: "big", promptTokenIDs: T.tokens(500, 40), samplingParams: T.params(maxTokens: 2))
        step(s)
        let p = consumerParams()
        try s.addRequest(requestID: "r", promptTokenIDs: T.tokens(0, 40), kvTransfer: p)
        step(s)
        #expect(s.takeKVLoadsToStart().isEmpty)
        #expect(s.requests["r"]?.status == .waiting)
        step(s)  // big finishes
        step(s)
        #expect(s.takeKVLoadsToStart().count == 1)
    }

    @Test("runner loss releases every hold and sends waiting pulls back to compute their prompts")
    func runnerLoss() throws {
        let s = try scheduler()
        try addPrefill(s, "p", T.tokens(0, 40))
        step(s)
        let p = consumerParams()
        try s.addRequest(requestID: "r", promptTokenIDs: T.tokens(100, 40), kvTransfer: p)
        step(s)
        #expect(s.takeKVLoadsToStart().count == 1)
        s.preemptAllRunning()
        #expect(s.heldForTransfer.isEmpty)
        #expect(s.requests["r"]?.status == .waiting)
        // The late result of the abandoned pull changes nothing.
        s.finishKVLoad("r", success: true)
        let (out, _) = step(s)
        #expect(out.numScheduledTokens["r"] == 40)
    }
}
