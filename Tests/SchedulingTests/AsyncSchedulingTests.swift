import ServingCore
import Testing

@testable import Scheduling

/// A runner that keeps its own token counts and feeds its sampled tokens forward, as vLLM's worker does: it
/// applies steps in order as soon as they are scheduled, before the scheduler has seen the previous step's output.
final class PipelinedRunnerModel {
    private var numTokens: [String: Int] = [:]
    private var numOutputs: [String: Int] = [:]
    let script: (String, Int) -> TokenID

    init(script: @escaping (String, Int) -> TokenID) { self.script = script }

    /// The largest number of tokens sampled for any request so far.
    var maxOutputs: [String: Int] = [:]

    func forgetAll() {
        numTokens = [:]
        numOutputs = [:]
    }

    func execute(_ s: Scheduler, _ out: SchedulerOutput) -> ModelRunnerOutput {
        for id in out.finishedReqIDs {
            numTokens[id] = nil
            numOutputs[id] = nil
        }
        for r in out.scheduledNewReqs {
            numTokens[r.reqID] = r.promptTokenIDs.count
            numOutputs[r.reqID] = 0
        }
        for (id, all) in out.scheduledCachedReqs.allTokenIDs where numTokens[id] == nil {
            let prompt = s.requests[id]!.numPromptTokens
            numTokens[id] = all.count
            numOutputs[id] = all.count - prompt
        }
        let cached = out.scheduledCachedReqs
        let order =
            cached.reqIDs.enumerated().map { ($1, cached.numComputedTokens[$0]) }
            + out.scheduledNewReqs.map { ($0.reqID, $0.numComputedTokens) }
        var ids: [String] = []
        var sampled: [[TokenID]] = []
        for (id, computed) in order {
            ids.append(id)
            guard computed + out.numScheduledTokens[id]! >= numTokens[id]! else {
                sampled.append([])
                continue
            }
            let k = numOutputs[id]!
            sampled.append([script(id, k)])
            numTokens[id]! += 1
            numOutputs[id] = k + 1
            maxOutputs[id] = max(maxOutputs[id] ?? 0, k + 1)
        }
        return ModelRunnerOutput(stepID: out.stepID, reqIDs: ids, sampledTokenIDs: sampled)
    }
}

@Suite("Async scheduling: output placeholders, two steps in flight")
struct AsyncSchedulingTests {
    static func asyncConfig(blocks: Int = 10_000, maxNumSeqs: Int = 256, budget: Int = 8192) -> SchedulerConfig {
        var c = TestSupport.config(blocks: blocks, maxNumSeqs: maxNumSeqs, budget: budget)
        c.asyncScheduling = true
        return c
    }

    @Test("a decode is scheduled one step ahead, counting the unknown token as a placeholder")
    func decodeRunsOneAhead() throws {
        let s = try Scheduler(config: Self.asyncConfig())
        let r = try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(1, 8),
                                 samplingParams: TestSupport.params(maxTokens: 4))
        let s0 = s.schedule()
        #expect(s0.numScheduledTokens["a"] == 8)
        #expect(r.numOutputPlaceholders == 1)
        let s1 = s.schedule()
        #expect(s1.numScheduledTokens["a"] == 1, "the token step 0 samples is computed by step 1")
        #expect(s1.scheduledCachedReqs.numComputedTokens == [8])
        #expect(s1.scheduledCachedReqs.numOutputTokens == [1], "the runner holds the token it sampled in step 0")
        #expect(r.numOutputPlaceholders == 2)
        let s2 = s.schedule()
        #expect(s2.numScheduledTokens.isEmpty, "no third sampling step of one request in flight")
        _ = s.updateFromOutput(s0, ModelRunnerOutput(stepID: s0.stepID, reqIDs: ["a"], sampledTokenIDs: [[50]]))
        #expect(r.numOutputPlaceholders == 1)
        #expect(r.outputTokenIDs == [50])
    }

    @Test("a structured-output request never runs ahead: one sampling step in flight, beside a free one running ahead")
    func structuredRequestsDoNotRunAhead() throws {
        let s = try Scheduler(config: Self.asyncConfig())
        var constrained = TestSupport.params(maxTokens: 4)
        constrained.structuredOutputs = StructuredOutputsParams(kind: .regex, spec: "[0-9]+")
        let g = try s.addRequest(requestID: "g", promptTokenIDs: TestSupport.tokens(1, 8), samplingParams: constrained)
        try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(20, 8),
                         samplingParams: TestSupport.params(maxTokens: 4))
        let s0 = s.schedule()
        #expect(s0.numScheduledTokens == ["g": 8, "a": 8])
        let s1 = s.schedule()
        #expect(s1.numScheduledTokens == ["a": 1], "g waits for its token before its next mask")
        _ = s.updateFromOutput(s0, ModelRunnerOutput(stepID: s0.stepID, reqIDs: ["g", "a"], sampledTokenIDs: [[50], [51]]))
        #expect(g.numOutputPlaceholders == 0 && g.outputTokenIDs == [50])
        #expect(s.schedule().numScheduledTokens == ["g": 1, "a": 1])
    }

    @Test("a partial prefill chunk adds no placeholder; the final chunk does")
    func prefillChunksHaveNoPlaceholder() throws {
        let s = try Scheduler(config: Self.asyncConfig(maxNumSeqs: 1, budget: 16))
        let r = try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(1, 24))
        _ = s.schedule()
        #expect(r.numOutputPlaceholders == 0)
        #expect(s.schedule().numScheduledTokens["a"] == 8)
        #expect(r.numOutputPlaceholders == 1)
    }

    @Test("a request whose in-flight steps already reach max_tokens is not scheduled again")
    func maxTokensReachedInFlight() throws {
        let s = try Scheduler(config: Self.asyncConfig())
        let runner = PipelinedRunnerModel { _, _ in 9 }
        try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(1, 8),
                         samplingParams: TestSupport.params(maxTokens: 3))
        var pending: (SchedulerOutput, ModelRunnerOutput)? = nil
        var emitted: [TokenID] = []
        var finish: FinishReason? = nil
        for _ in 0..<10 where finish == nil {
            let out = s.schedule()
            let result = runner.execute(s, out)
            if let (o, res) = pending {
                for e in s.updateFromOutput(o, res) {
                    emitted += e.newTokenIDs
                    finish = e.finishReason ?? finish
                }
            }
            pending = (out, result)
        }
        #expect(emitted == [9, 9, 9])
        #expect(finish == .length)
        #expect(runner.maxOutputs["a"] == 3, "no step ran past max_tokens")
    }

    @Test("EOS is found one step late and the extra step's token is discarded")
    func eosOneStepLate() throws {
        let s = try Scheduler(config: Self.asyncConfig())
        let r = try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(3, 8),
                                 samplingParams: TestSupport.params(maxTokens: 10), eosTokenID: 2)
        let runner = PipelinedRunnerModel { _, i in i == 1 ? 2 : 40 }
        let s0 = s.schedule(), r0 = runner.execute(s, s0)
        let s1 = s.schedule(), r1 = runner.execute(s, s1)
        #expect(s.updateFromOutput(s0, r0).map(\.newTokenIDs) == [[40]])
        let s2 = s.schedule(), r2 = runner.execute(s, s2)
        let atEOS = s.updateFromOutput(s1, r1)
        #expect(atEOS.map(\.newTokenIDs) == [[2]])
        #expect(atEOS.first?.finishReason == .stop)
        #expect(runner.maxOutputs["a"] == 3, "step 2 already sampled one more")
        #expect(s.updateFromOutput(s2, r2).isEmpty, "the late token is not emitted")
        #expect(r.outputTokenIDs == [40, 2])
        #expect(s.schedule().finishedReqIDs == ["a"])
        #expect(s.kvCacheManager.numFreeBlocks == 10_000 - 1)
    }

    @Test("once tokens arrive, their full blocks enter the prefix cache")
    func knownBlocksAreCached() throws {
        let s = try Scheduler(config: Self.asyncConfig())
        let r = try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(1, 15),
                                 samplingParams: TestSupport.params(maxTokens: 8))
        let runner = PipelinedRunnerModel { _, _ in 7 }
        let s0 = s.schedule(), r0 = runner.execute(s, s0)
        let s1 = s.schedule(), r1 = runner.execute(s, s1)
        #expect(r.numCachedBlocks == 0, "the 16th token is not known yet")
        _ = s.updateFromOutput(s0, r0)
        #expect(r.numCachedBlocks == 0, "known now, but its KV is written by step 1, still in flight")
        _ = s.updateFromOutput(s1, r1)
        #expect(r.numCachedBlocks == 1)
    }

    @Test("a request preempted with output in flight gets that output once and resumes with it")
    func preemptionWithOutputInFlight() throws {
        let s = try Scheduler(config: Self.asyncConfig(blocks: 4, maxNumSeqs: 2))
        let runner = PipelinedRunnerModel { _, _ in 7 }
        let a = try s.addRequest(requestID: "a", promptTokenIDs: TestSupport.tokens(1, 16),
                                 samplingParams: TestSupport.params(maxTokens: 20, ignoreEOS: true))
        let b = try s.addRequest(requestID: "b", promptTokenIDs: TestSupport.tokens(100, 16),
                                 samplingParams: TestSupport.params(maxTokens: 20, ignoreEOS: true))
        let s0 = s.schedule(), r0 = runner.execute(s, s0)
        #expect(s0.numScheduledTokens.count == 2)
        // Both need a second block for their 17th token: b (the running tail) is preempted while step 0 is out.
        let s1 = s.schedule(), r1 = runner.execute(s, s1)
        #expect(s1.preemptedReqIDs == ["b"])
        #expect(b.status == .preempted && b.numOutputPlaceholders == 1)
        _ = s.updateFromOutput(s0, r0)
        #expect(b.numOutputPlaceholders == 0 && b.outputTokenIDs == [7], "the stale token still lands")
        #expect(a.numOutputPlaceholders == 1)
        _ = s.updateFromOutput(s1, r1)
        #expect(a.numOutputPlaceholders == 0 && a.outputTokenIDs == [7, 7])
    }
}
