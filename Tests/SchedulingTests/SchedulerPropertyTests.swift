import ServingCore
import Testing

@testable import Scheduling

/// A small seeded generator (SplitMix64) so every random workload can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Scheduler properties on random workloads")
struct SchedulerPropertyTests {
    @Test(
        "random workloads with aborts and runner losses never leak or double-free, respect every limit, and finish",
        arguments: 0..<24)
    func randomWorkload(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 1)
        let chunked = Bool.random(using: &rng)
        let maxNumSeqs = Int.random(in: 1...8, using: &rng)
        let maxModelLen = 256
        var config = TestSupport.config(
            blocks: Int.random(in: 18...60, using: &rng), maxNumSeqs: maxNumSeqs,
            budget: chunked
                ? Int.random(in: max(maxNumSeqs, 8)...300, using: &rng) : Int.random(in: 256...400, using: &rng),
            maxModelLen: maxModelLen, caching: Int.random(in: 0..<4, using: &rng) > 0, chunked: chunked,
            threshold: Bool.random(using: &rng) ? 0 : Int.random(in: 1...64, using: &rng),
            policy: Bool.random(using: &rng) ? .fcfs : .priority)
        config.enableKVCacheEvents = true
        let s = try Scheduler(config: config)
        let prefixes = (0..<3).map { k in TestSupport.tokens(10_000 * (k + 1), Int.random(in: 16...64, using: &rng)) }
        struct Arrival {
            var step: Int; var id: String; var prompt: [TokenID]; var params: SamplingParams; var priority: Int
        }
        var arrivals: [Arrival] = (0..<30).map { i in
            var prompt = Bool.random(using: &rng) ? prefixes.randomElement(using: &rng)! : []
            prompt += (0..<Int.random(in: 1...80, using: &rng)).map { _ in TokenID.random(in: 3...500, using: &rng) }
            return Arrival(
                step: Int.random(in: 0...40, using: &rng), id: "r\(i)", prompt: Array(prompt.prefix(maxModelLen - 1)),
                params: TestSupport.params(maxTokens: Int.random(in: 1...60, using: &rng)),
                priority: Int.random(in: 0...3, using: &rng))
        }
        arrivals.sort { $0.step < $1.step }
        var next = 0
        var finished = Set<String>()
        var lastSeq: UInt64 = 0
        for step in 0..<5000 {
            while next < arrivals.count && arrivals[next].step <= step {
                let a = arrivals[next]
                try s.addRequest(
                    requestID: a.id, promptTokenIDs: a.prompt, samplingParams: a.params, eosTokenID: 2,
                    priority: a.priority)
                next += 1
            }
            if Int.random(in: 0..<50, using: &rng) == 0,
                let victim = s.requests.keys.sorted().randomElement(using: &rng)
            {
                s.finishRequests([victim])
                finished.insert(victim)
            }
            if Int.random(in: 0..<80, using: &rng) == 0 {
                s.preemptAllRunning()
                #expect(s.kvCacheManager.blockPool.numCachedHashes == 0)
            }
            if next == arrivals.count && s.numUnfinishedRequests == 0 { break }
            let out = s.schedule()
            #expect(out.totalNumScheduledTokens <= config.maxNumBatchedTokens)
            #expect(out.numScheduledTokens.values.reduce(0, +) == out.totalNumScheduledTokens)
            #expect(out.numScheduledTokens.values.allSatisfy { $0 >= 1 })
            #expect(s.running.count <= config.maxNumSeqs)
            checkHeldBlocks(s)
            let order = s.scheduledRequests(stepID: out.stepID)
            let sampled: [[TokenID]] = order.map { r in
                guard r.numComputedTokens >= r.numTokens else { return [] }
                return [Int.random(in: 0..<30, using: &rng) == 0 ? 2 : TokenID.random(in: 3...500, using: &rng)]
            }
            for o in s.updateFromOutput(
                out, ModelRunnerOutput(stepID: out.stepID, reqIDs: order.map(\.requestID), sampledTokenIDs: sampled))
            {
                if o.finishReason != nil { finished.insert(o.reqID) }
            }
            checkHeldBlocks(s)
            for e in s.takeKVEvents() {
                #expect(e.sequenceNumber == lastSeq + 1)
                lastSeq = e.sequenceNumber
            }
        }
        #expect(next == arrivals.count && s.numUnfinishedRequests == 0, "seed \(seed) did not finish")
        #expect(finished.count == arrivals.count)
        #expect(s.kvCacheManager.numFreeBlocks == config.numGPUBlocks - 1)
    }

    /// Every block's ref count equals the number of live requests holding it, and the pool is consistent.
    func checkHeldBlocks(_ s: Scheduler) {
        var held: [Int: Int] = [:]
        for r in s.requests.values {
            if r.status != .running { #expect(r.blockIDs.isEmpty) }
            for b in r.blockIDs { held[b, default: 0] += 1 }
        }
        s.kvCacheManager.blockPool.checkInvariants(heldReferences: held)
    }
}
