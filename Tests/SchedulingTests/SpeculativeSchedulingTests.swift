import ServingCore
import Testing

@testable import Scheduling

/// Speculative decoding in the scheduler (docs/scheduling.md §15): drafts are scheduled tokens, rejected ones roll
/// `numComputedTokens` back, stops inside an accepted run truncate it, and only verified tokens reach the prefix cache.
@Suite("Speculative decoding: scheduling of drafts")
struct SpeculativeSchedulingTests {
    static func scheduler(k: Int = 3, maxModelLen: Int = 8192, budget: Int = 8192, blocks: Int = 10_000) throws
        -> Scheduler
    {
        var c = TestSupport.config(blocks: blocks, budget: budget, maxModelLen: maxModelLen)
        c.numSpeculativeTokens = k
        return try Scheduler(config: c)
    }

    /// Adds a request made with the scheduler's hasher.
    @discardableResult
    static func add(_ s: Scheduler, _ id: String, _ prompt: [TokenID], maxTokens: Int = 50, stop: [TokenID] = [])
        throws -> Request
    {
        try s.addRequest(
            requestID: id, promptTokenIDs: prompt, samplingParams: TestSupport.params(maxTokens: maxTokens, stop: stop))
    }

    /// Adds a request and runs its prefill (sampling `first`); returns it after the update.
    static func prefill(
        _ s: Scheduler, _ id: String, _ prompt: [TokenID], maxTokens: Int = 50, stop: [TokenID] = [],
        first: TokenID = 100
    ) throws -> Request {
        let r = try add(s, id, prompt, maxTokens: maxTokens, stop: stop)
        let out = s.schedule()
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, [id: [first]]))
        return r
    }

    @Test("drafts are scheduled after the last token; a partial acceptance rolls numComputedTokens back")
    func partialAcceptance() throws {
        let s = try Self.scheduler()
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 20), maxTokens: 50)
        #expect(r.numComputedTokens == 20 && r.numTokens == 21)
        s.updateDraftTokenIDs(["a": [201, 202, 203]])
        let out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 4)
        #expect(out.scheduledSpecDecodeTokens["a"] == [201, 202, 203])
        #expect(r.specTokenIDs.isEmpty)
        #expect(r.numComputedTokens == 24)
        // One draft accepted, then the runner's own token: two rejected.
        let outputs = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [201, 555]]))
        #expect(outputs.first?.newTokenIDs == [201, 555])
        #expect(r.numTokens == 23)
        #expect(r.numComputedTokens == 22)
        #expect(s.specDecodingStats.numDrafts == 1)
        #expect(s.specDecodingStats.numDraftTokens == 3)
        #expect(s.specDecodingStats.numAcceptedTokens == 1)
        #expect(s.specDecodingStats.numAcceptedTokensPerPosition == [1, 0, 0])
        // Without new drafts the next step is an ordinary one-token decode from the rolled-back position.
        let next = s.schedule()
        #expect(next.numScheduledTokens["a"] == 1)
        #expect(next.scheduledSpecDecodeTokens.isEmpty)
        #expect(next.scheduledCachedReqs.first?.numComputedTokens == 22)
    }

    @Test("a fully accepted draft yields k + 1 tokens and nothing is rolled back")
    func fullAcceptance() throws {
        let s = try Self.scheduler(k: 2)
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 5), maxTokens: 50)
        s.updateDraftTokenIDs(["a": [7, 8]])
        let out = s.schedule()
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [7, 8, 9]]))
        #expect(Array(r.outputTokenIDs) == [100, 7, 8, 9])
        #expect(r.numComputedTokens == r.numTokens - 1)
        #expect(s.specDecodingStats.meanAcceptedLength == 3)
    }

    @Test("a stop token inside the accepted run ends the request there")
    func stopInsideAcceptedRun() throws {
        let s = try Self.scheduler()
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 5), stop: [8])
        s.updateDraftTokenIDs(["a": [7, 8, 9]])
        let out = s.schedule()
        let outputs = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [7, 8, 9, 10]]))
        #expect(outputs.first?.newTokenIDs == [7, 8])
        #expect(outputs.first?.finishReason == .stop)
        #expect(r.isFinished)
    }

    @Test("max_tokens inside the accepted run caps the output")
    func lengthInsideAcceptedRun() throws {
        let s = try Self.scheduler()
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 5), maxTokens: 3)
        s.updateDraftTokenIDs(["a": [7, 8, 9]])
        let out = s.schedule()
        let outputs = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [7, 8, 9, 10]]))
        #expect(outputs.first?.newTokenIDs == [7, 8])
        #expect(outputs.first?.finishReason == .length)
    }

    @Test("drafts are cut to what max_model_len leaves room for")
    func maxModelLenCutsDrafts() throws {
        let s = try Self.scheduler(maxModelLen: 24)
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 20), maxTokens: 50)
        s.updateDraftTokenIDs(["a": [7, 8, 9]])
        let out = s.schedule()
        // Positions 20…22 fit below max_model_len − 1 = 23: the last token and two drafts.
        #expect(out.numScheduledTokens["a"] == 3)
        #expect(out.scheduledSpecDecodeTokens["a"] == [7, 8])
    }

    @Test("drafts are cut by the token budget")
    func budgetCutsDrafts() throws {
        let s = try Self.scheduler(budget: 256)
        _ = try Self.prefill(s, "a", TestSupport.tokens(1, 5), maxTokens: 50)
        s.updateDraftTokenIDs(["a": [7, 8, 9]])
        try Self.add(s, "b", TestSupport.tokens(1000, 300), maxTokens: 5)
        // The running request comes first and takes its 4 tokens; the long prompt gets the rest.
        let out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 4)
        #expect(out.numScheduledTokens["b"] == 252)
    }

    @Test("drafts proposed after a prefill chunk are dropped; drafts for unknown or finished requests are ignored")
    func draftsAfterPrefillChunk() throws {
        let s = try Self.scheduler(budget: 256)
        let r = try Self.add(s, "a", TestSupport.tokens(1, 300), maxTokens: 5)
        let out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 256)
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, [:]))
        s.updateDraftTokenIDs(["a": [1, 2], "nobody": [3]])
        #expect(r.specTokenIDs.isEmpty)
        let next = s.schedule()
        #expect(next.numScheduledTokens["a"] == 44)
        #expect(next.scheduledSpecDecodeTokens.isEmpty)
    }

    @Test("preemption drops a request's pending drafts")
    func preemptionClearsDrafts() throws {
        let s = try Self.scheduler()
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 5), maxTokens: 50)
        s.updateDraftTokenIDs(["a": [7, 8]])
        s.preemptAllRunning()
        #expect(r.specTokenIDs.isEmpty)
        #expect(r.status == .preempted)
    }

    @Test("an admission with one token left to compute is padded to 1 + k with padding drafts")
    func paddedAdmission() throws {
        let s = try Self.scheduler(k: 2)
        // 33 tokens: two full blocks cached by the first request, so the second computes only the last token.
        let prompt = TestSupport.tokens(1, 33)
        _ = try Self.prefill(s, "a", prompt)
        try Self.add(s, "b", prompt)
        let out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 1)
        #expect(out.numScheduledTokens["b"] == 3)
        #expect(out.scheduledSpecDecodeTokens["b"] == [-1, -1])
        // The runner rejects padding: one token back, two positions rolled back; no draft counted.
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [5], "b": [6]]))
        let b = s.requests["b"]!
        #expect(b.numComputedTokens == 33 && b.numTokens == 34)
        #expect(s.specDecodingStats.numDraftTokens == 0)
    }

    @Test("only verified tokens enter the prefix cache")
    func cacheOnlyVerifiedTokens() throws {
        let s = try Self.scheduler(k: 4)
        // 14 prompt tokens + 1 sampled = 15; drafts would fill block 0 (16 tokens) and spill into block 1.
        let r = try Self.prefill(s, "a", TestSupport.tokens(1, 14), maxTokens: 50)
        s.updateDraftTokenIDs(["a": [7, 8, 9, 10]])
        let out = s.schedule()
        #expect(r.numCachedBlocks == 0, "drafts are not cached when scheduled")
        // Everything rejected: 16 tokens known, 15 computed, so block 0 is not full of verified KV yet.
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [300]]))
        #expect(r.numTokens == 16 && r.numComputedTokens == 15)
        #expect(r.numCachedBlocks == 0)
        s.updateDraftTokenIDs(["a": [7, 8]])
        let next = s.schedule()
        _ = s.updateFromOutput(next, TestSupport.runnerOutput(next, ["a": [7, 301]]))
        // 18 known, 17 computed: block 0 is verified now and cached.
        #expect(r.numComputedTokens == 17)
        #expect(r.numCachedBlocks == 1)
    }

    @Test("AC-32: drafts for a prefill chunk are ignored; 3 drafts → 4 tokens; rejections roll back; stats per position")
    func ac32() throws {
        var c = TestSupport.config(maxNumSeqs: 8, budget: 50)
        c.numSpeculativeTokens = 3
        let s = try Scheduler(config: c)
        let r = try Self.add(s, "a", TestSupport.tokens(1, 80))
        var out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 50)
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, [:]))
        s.updateDraftTokenIDs(["a": [1, 2, 3]])
        out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 30, "not 33: the drafts came after a prefill chunk")
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [90]]))
        s.updateDraftTokenIDs(["a": [91, 92, 93]])
        out = s.schedule()
        #expect(out.numScheduledTokens["a"] == 4)
        #expect(out.scheduledSpecDecodeTokens["a"] == [91, 92, 93])
        _ = s.updateFromOutput(out, TestSupport.runnerOutput(out, ["a": [91, 92, 7]]))
        #expect(r.numComputedTokens == 83 && r.numTokens == 84)
        #expect(s.specDecodingStats.numAcceptedTokensPerPosition == [1, 1, 0])
    }
}
