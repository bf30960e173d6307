import ServingCore
import Testing

@testable import Scheduling

@Suite("Scheduler preemption, in-flight steps and priority")
struct SchedulerPreemptionTests {
    typealias T = TestSupport

    @Test("AC-29 when the head needs a block, the tail is preempted and its in-flight output still lands")
    func preemptDuringExecution() throws {
        let s = try Scheduler(config: T.config(blocks: 11, maxNumSeqs: 4, budget: 80))
        try s.addRequest(requestID: "0", promptTokenIDs: T.tokens(0, 80))
        try s.addRequest(requestID: "1", promptTokenIDs: T.tokens(1000, 80))
        let step1 = s.schedule()
        #expect(step1.numScheduledTokens == ["0": 80])
        let step2 = s.schedule()  // "0" is in flight: not rescheduled
        #expect(step2.numScheduledTokens == ["1": 80])
        #expect(s.kvCacheManager.numFreeBlocks == 0)
        _ = s.updateFromOutput(step1, T.runnerOutput(step1, ["0": [42]]))
        let step3 = s.schedule()
        #expect(step3.numScheduledTokens == ["0": 1])
        #expect(s.lastPreemptedInOrder == ["1"] && step3.preemptedReqIDs == ["1"])
        #expect(s.running.map(\.requestID) == ["0"])
        let r1 = try #require(s.requests["1"])
        #expect(r1.status == .preempted && r1.numComputedTokens == 0)
        // Until that stale output is in, "1" is not resumed; a request behind it is admitted meanwhile.
        try s.addRequest(requestID: "2", promptTokenIDs: T.tokens(2000, 16))
        let step4 = s.schedule()
        #expect(step4.numScheduledTokens == ["2": 16])
        #expect(s.waiting.requests.map(\.requestID) == ["1"])
        _ = s.updateFromOutput(step2, T.runnerOutput(step2, ["1": [42]]))
        #expect(Array(r1.outputTokenIDs) == [42])
        #expect(r1.numStaleOutputTokens == 0 && r1.numInFlightTokens == 0)
        s.kvCacheManager.blockPool.checkInvariants()
    }

    @Test("AC-30 with two steps in flight, the second admits a new request and skips the in-flight one")
    func twoStepsInFlight() throws {
        let s = try Scheduler(config: T.config())
        try s.addRequest(requestID: "0", promptTokenIDs: T.tokens(0, 512))
        let step1 = s.schedule()
        #expect(step1.numScheduledTokens == ["0": 512])
        try s.addRequest(requestID: "1", promptTokenIDs: T.tokens(1000, 512))
        let step2 = s.schedule()
        #expect(step2.numScheduledTokens == ["1": 512])
        _ = s.updateFromOutput(step1, T.runnerOutput(step1, ["0": [7]]))
        let step3 = s.schedule()
        #expect(step3.numScheduledTokens == ["0": 1])
        _ = s.updateFromOutput(step2, T.runnerOutput(step2, ["1": [7]]))
        _ = s.updateFromOutput(step3, T.runnerOutput(step3, ["0": [7]]))
        #expect(s.requests["0"]?.numOutputTokens == 2 && s.requests["1"]?.numOutputTokens == 1)
    }

    @Test("AC-31 resetting the prefix cache fails with running requests, or preempts them all in order")
    func resetWithRunning() throws {
        let s = try Scheduler(config: T.config())
        for i in 0..<3 { try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 20)) }
        let out = s.schedule()
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        #expect(!s.resetPrefixCache())
        #expect(s.resetPrefixCache(resetRunningRequests: true))
        #expect(s.running.isEmpty)
        #expect(s.waiting.requests.map(\.requestID) == ["0", "1", "2"])
        #expect(s.kvCacheManager.blockPool.numCachedHashes == 0)
        let next = s.schedule()
        #expect(next.scheduledCachedReqs.reqIDs == ["0", "1", "2"])
        #expect(next.scheduledCachedReqs.resumedReqIDs == ["0", "1", "2"])
        #expect(next.scheduledCachedReqs.allTokenIDs["0"] == T.tokens(0, 20) + [7])
        #expect(next.numScheduledTokens == ["0": 21, "1": 21, "2": 21])
    }

    @Test("runner loss: preemptAllRunning recomputes everything, drops the prefix cache and the lost step's output")
    func preemptAllRunning() throws {
        let s = try Scheduler(config: T.config())
        for i in 0..<2 { try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 20)) }
        let out = s.schedule()
        s.preemptAllRunning()
        #expect(s.kvCacheManager.blockPool.numCachedHashes == 0)
        #expect(s.kvCacheManager.numFreeBlocks == T.config().numGPUBlocks - 1)
        #expect(s.updateFromOutput(out, T.runnerOutput(out, ["0": [7], "1": [7]])).isEmpty)
        #expect(s.waiting.requests.map(\.numComputedTokens) == [0, 0])
        #expect(s.stats.numPreemptions == 2)
        let again = s.schedule()
        #expect(again.scheduledCachedReqs.resumedReqIDs == ["0", "1"])
        #expect(again.numScheduledTokens == ["0": 20, "1": 20])
    }

    @Test("AC-33 the priority policy admits by (priority, arrival) and max_num_seqs leaves the rest in order")
    func priorityAdmission() throws {
        let s = try Scheduler(config: T.config(policy: .priority))
        for (i, p) in [2, 0, 1].enumerated() {
            try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 10), priority: p)
        }
        #expect(s.schedule().scheduledNewReqs.map(\.reqID) == ["1", "2", "0"])

        let t = try Scheduler(config: T.config(policy: .priority))
        for i in 0..<3 { try t.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 10), priority: 1) }
        #expect(t.schedule().scheduledNewReqs.map(\.reqID) == ["0", "1", "2"])

        let u = try Scheduler(config: T.config(maxNumSeqs: 2, policy: .priority))
        for (i, p) in [3, 1, 4, 0, 2].enumerated() {
            try u.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 10), priority: p)
        }
        #expect(u.schedule().scheduledNewReqs.map(\.reqID) == ["3", "1"])
        #expect(u.waiting.requests.map(\.requestID) == ["4", "0", "2"])
    }

    @Test("AC-34 AC-35 priority preemption takes the least urgent request, which resumes from its cached prefix")
    func priorityPreemption() throws {
        let s = try Scheduler(config: T.config(blocks: 6, policy: .priority))
        try s.addRequest(
            requestID: "lo", promptTokenIDs: T.tokens(0, 32), samplingParams: T.params(maxTokens: 10), priority: 5)
        var out = s.schedule()
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        try s.addRequest(
            requestID: "hi", promptTokenIDs: T.tokens(100, 32), samplingParams: T.params(maxTokens: 3), priority: 0)
        out = s.schedule()
        #expect(out.numScheduledTokens == ["lo": 1, "hi": 32])
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        out = s.schedule()
        #expect(out.numScheduledTokens == ["hi": 1])
        #expect(s.lastPreemptedInOrder == ["lo"])
        #expect(s.running.map(\.requestID) == ["hi"])
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        out = s.schedule()
        #expect(out.numScheduledTokens == ["hi": 1])
        let finished = s.updateFromOutput(out, T.runnerOutput(s, out))
        #expect(finished.map(\.finishReason) == [.length])
        out = s.schedule()
        let cached = out.scheduledCachedReqs
        #expect(cached.resumedReqIDs == ["lo"])
        #expect(cached.allTokenIDs["lo"] == T.tokens(0, 32) + [7, 7])
        #expect(cached.numComputedTokens == [32])  // its own freed blocks 1 and 2 were still cached
        #expect(cached.newBlockIDs.first?.prefix(2) == [1, 2])
        #expect(out.numScheduledTokens == ["lo": 2])
        // AC-35: one record per admission; the re-admission is counted as preempted.
        let stats = s.takePrefixCacheStats()
        #expect(stats.requests == 2 && stats.queries == 64 && stats.hits == 0)
        #expect(stats.preemptedRequests == 1 && stats.preemptedQueries == 34 && stats.preemptedHits == 32)
    }

    @Test("AC-35 a request that waits for blocks is counted once; with caching disabled nothing is recorded")
    func statsOncePerAdmission() throws {
        for caching in [true, false] {
            let s = try Scheduler(config: T.config(blocks: 5, caching: caching))
            try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 60), samplingParams: T.params(maxTokens: 3))
            try s.addRequest(requestID: "b", promptTokenIDs: T.tokens(100, 40), samplingParams: T.params(maxTokens: 1))
            var steps = 0
            while s.numUnfinishedRequests > 0 {
                let out = s.schedule()
                if steps == 0 { #expect(out.scheduledNewReqs.map(\.reqID) == ["a"]) }
                _ = s.updateFromOutput(out, T.runnerOutput(s, out))
                steps += 1
            }
            let stats = s.takePrefixCacheStats()
            #expect(stats.requests == (caching ? 2 : 0))
            #expect(stats.queries == (caching ? 100 : 0))
        }
    }

    // AC-32 (speculative decoding): SpeculativeSchedulingTests.

    @Test("a waiting request needs room for its whole sequence, not only its first chunk (docs/scheduling.md §10)")
    func reserveFullSequence() throws {
        let s = try Scheduler(config: T.config(blocks: 11, maxNumSeqs: 4, budget: 64))
        try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 100))
        try s.addRequest(requestID: "b", promptTokenIDs: T.tokens(1000, 100))
        var out = s.schedule()
        #expect(out.numScheduledTokens == ["a": 64])
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        out = s.schedule()
        // "a" holds 7 blocks after this chunk; "b" would need 7 of the 3 left, so it is not admitted.
        #expect(out.numScheduledTokens == ["a": 36])
        #expect(s.waiting.requests.map(\.requestID) == ["b"])
    }

    @Test("config validation names the bad field")
    func configValidation() {
        var c = T.config()
        c.maxNumBatchedTokens = 8
        c.maxNumSeqs = 16
        #expect(throws: SchedulerConfigError.self) { try Scheduler(config: c) }
        do {
            _ = try Scheduler(config: c)
        } catch {
            #expect(error.field == "max_num_batched_tokens")
        }
        var d = T.config()
        d.numGPUBlocks = 1
        #expect(
            throws: SchedulerConfigError(
                field: "num_gpu_blocks", message: "num_gpu_blocks must be at least 2 (block 0 is the null block), got 1"
            )
        ) {
            try Scheduler(config: d)
        }
    }
}
