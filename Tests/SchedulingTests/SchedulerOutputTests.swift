import ServingCore
import Testing

@testable import Scheduling

@Suite("Scheduler output deltas and engine-core outputs")
struct SchedulerOutputTests {
    typealias T = TestSupport

    @Test("new requests carry every block incl. hits; running ones carry appended blocks and pre-step counts")
    func deltas() throws {
        let s = try Scheduler(config: T.config(blocks: 20))
        let prefix = T.tokens(0, 32)
        var withLogprobs = T.params()
        withLogprobs.logprobs = 1
        try s.addRequest(requestID: "a", promptTokenIDs: prefix + T.tokens(500, 8), samplingParams: withLogprobs)
        try s.addRequest(requestID: "b", promptTokenIDs: prefix + T.tokens(600, 8))
        let step0 = s.schedule()
        // "a" registers its full blocks when allocated, so "b" hits them in the same step.
        #expect(step0.scheduledNewReqs.map(\.blockIDs) == [[1, 2, 3], [1, 2, 4]])
        #expect(step0.scheduledNewReqs.map(\.numComputedTokens) == [0, 32])
        #expect(step0.numScheduledTokens == ["a": 40, "b": 8])
        let lp = PositionLogprobs(tokenIDs: [7, 9], logprobs: [-0.1, -2.5], sampledRank: 1)
        let outputs = s.updateFromOutput(
            step0,
            ModelRunnerOutput(
                stepID: step0.stepID, reqIDs: ["b", "a"], sampledTokenIDs: [[7], [7]], logprobs: [[lp], [lp]]))
        #expect(outputs.map(\.reqID) == ["a", "b"])
        #expect(outputs.map(\.numCachedTokens) == [0, 32])
        #expect(outputs[0].newLogprobs == [lp] && outputs[1].newLogprobs == nil)

        let step1 = s.schedule()
        let cached = step1.scheduledCachedReqs
        #expect(step1.scheduledNewReqs.isEmpty)
        #expect(cached.reqIDs == ["a", "b"] && cached.resumedReqIDs.isEmpty)
        #expect(cached.newBlockIDs == [[], []])
        #expect(cached.numComputedTokens == [40, 40])
        #expect(cached.numOutputTokens == [1, 1])
        #expect(cached.allTokenIDs.isEmpty)
        #expect(step1.totalNumScheduledTokens == 2)
    }

    @Test("requests scheduled in consecutive steps, chunked or decoding, never get their token ids resent")
    func noTokenIDsResent() throws {
        let s = try Scheduler(config: T.config(maxNumSeqs: 2, budget: 16, threshold: 0))
        try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 16))
        try s.addRequest(requestID: "b", promptTokenIDs: T.tokens(100, 16))
        var out = s.schedule()
        #expect(out.numScheduledTokens == ["a": 16])
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        out = s.schedule()
        #expect(out.numScheduledTokens == ["a": 1, "b": 15])
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        out = s.schedule()
        #expect(out.numScheduledTokens == ["a": 1, "b": 1])
        #expect(out.scheduledCachedReqs.allTokenIDs.isEmpty)
    }

    @Test("KV events carry the LoRA name and the parent hash of the first newly stored block")
    func loraEvents() throws {
        var config = T.config(blocks: 20)
        config.enableKVCacheEvents = true
        let s = try Scheduler(config: config)
        let r = try s.addRequest(
            requestID: "a", promptTokenIDs: T.tokens(0, 20), lora: LoRARequest(name: "adapter", path: "/adapters/a"))
        var out = s.schedule()
        _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        let first = s.takeKVEvents()
        #expect(first.count == 1)
        for _ in 0..<12 {
            out = s.schedule()
            _ = s.updateFromOutput(out, T.runnerOutput(s, out))
        }
        let second = s.takeKVEvents()
        guard case .blockStored(let hashes, let parent, let ids, _, let lora) = second.first?.event else {
            Issue.record("expected a BlockStored event, got \(second)")
            return
        }
        #expect(lora == "adapter")
        #expect(parent == r.blockHashes[0] && hashes == [r.blockHashes[1]])
        #expect(ids == Array(r.allTokenIDs[16..<32]))
        #expect(second.first!.sequenceNumber == first.last!.sequenceNumber + 1)
    }
}
