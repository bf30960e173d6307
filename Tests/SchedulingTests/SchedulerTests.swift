import ServingCore
import Testing

@testable import Scheduling

@Suite("Scheduler")
struct SchedulerTests {
    typealias T = TestSupport

    @Test("AC-23 adding queues a request; aborting removes it from the map and the queue, once")
    func addAndAbort() throws {
        let s = try Scheduler(config: T.config())
        for i in 0..<3 { try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 100, 10)) }
        #expect(s.requests.count == 3 && s.waiting.count == 3)
        for (k, id) in ["0", "1", "2"].enumerated() {
            s.finishRequests([id], status: .finishedAborted)
            #expect(s.requests[id] == nil)
            #expect(!s.waiting.requests.contains { $0.requestID == id })
            #expect(s.numUnfinishedRequests == 2 - k)
        }
        s.finishRequests(["0", "nope"], .abort)  // idempotent
        #expect(s.hasRequests)  // finished ids still to be told to the runners
        let out = s.schedule()
        #expect(out.finishedReqIDs == ["0", "1", "2"])
        #expect(out.totalNumScheduledTokens == 0)
        #expect(!s.hasRequests)
    }

    @Test("adding a duplicate id or a prompt without room to generate throws")
    func addValidation() throws {
        let s = try Scheduler(config: T.config(maxModelLen: 64))
        try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 10))
        #expect(throws: SchedulerError.duplicateRequestID("a")) {
            try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 10))
        }
        #expect(throws: SchedulerError.promptTooLong("b", promptLength: 64, maxModelLen: 64)) {
            try s.addRequest(requestID: "b", promptTokenIDs: T.tokens(0, 64))
        }
    }

    @Test("AC-24 requests that fit are all scheduled as new in one step, in arrival order")
    func scheduleAllNew() throws {
        let s = try Scheduler(config: T.config())
        for i in 0..<10 { try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 1000, 10 + i)) }
        let out = s.schedule()
        #expect(out.scheduledNewReqs.map(\.reqID) == (0..<10).map { "\($0)" })
        for i in 0..<10 { #expect(out.numScheduledTokens["\(i)"] == 10 + i) }
        #expect(s.running.map(\.requestID) == (0..<10).map { "\($0)" })
        #expect(s.waiting.isEmpty)
        #expect(out.scheduledNewReqs[0].blockIDs == [1])
    }

    @Test("AC-25 chunked prefill with a long-prefill threshold shares the budget between long prompts")
    func chunkedPrefillThreshold() throws {
        let s = try Scheduler(config: T.config(budget: 1024, threshold: 400))
        for i in 0..<3 { try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 1000, 800)) }
        let expected: [[String: Int]] = [
            ["0": 400, "1": 400, "2": 224], ["0": 400, "1": 400, "2": 224], ["0": 1, "1": 1, "2": 352],
        ]
        for want in expected {
            let out = s.schedule()
            #expect(out.numScheduledTokens == want)
            let outputs = s.updateFromOutput(out, T.runnerOutput(s, out))
            // Partial prefill chunks emit nothing.
            #expect(
                Set(outputs.map(\.reqID))
                    == Set(s.running.filter { $0.numOutputTokens > 0 }.map(\.requestID)).intersection(want.keys))
        }
    }

    @Test("the long-prefill threshold does not apply to a request alone in the system (docs/scheduling.md §6)")
    func thresholdIgnoredWhenAlone() throws {
        let s = try Scheduler(config: T.config(budget: 1024, threshold: 400))
        try s.addRequest(requestID: "0", promptTokenIDs: T.tokens(0, 800))
        #expect(s.schedule().numScheduledTokens == ["0": 800])
    }

    @Test("AC-26 without chunked prefill a prompt that does not fit stops admission; with it, the rest is chunked")
    func chunkedPrefillDisabled() throws {
        for chunked in [false, true] {
            let s = try Scheduler(config: T.config(maxNumSeqs: 3, budget: 1024, maxModelLen: 1024, chunked: chunked))
            for (i, n) in [800, 800, 10, 10].enumerated() {
                try s.addRequest(requestID: "\(i)", promptTokenIDs: T.tokens(i * 1000, n))
            }
            let out = s.schedule()
            #expect(out.scheduledNewReqs.count == (chunked ? 2 : 1))
            #expect(out.numScheduledTokens == (chunked ? ["0": 800, "1": 224] : ["0": 800]))
        }
    }

    @Test("AC-27 stop rules: EOS, stop token ids with trimming, max_tokens with trimming, ignore_eos")
    func stopRules() throws {
        let s = try Scheduler(config: T.config())
        try s.addRequest(requestID: "eos", promptTokenIDs: T.tokens(0, 10), samplingParams: T.params(), eosTokenID: 2)
        try s.addRequest(
            requestID: "stop", promptTokenIDs: T.tokens(100, 10), samplingParams: T.params(stop: [42]), eosTokenID: 2)
        try s.addRequest(
            requestID: "len", promptTokenIDs: T.tokens(200, 10), samplingParams: T.params(maxTokens: 2), eosTokenID: 2)
        try s.addRequest(
            requestID: "ign", promptTokenIDs: T.tokens(300, 10), samplingParams: T.params(ignoreEOS: true),
            eosTokenID: 2)
        let out = s.schedule()
        let outputs = s.updateFromOutput(
            out, T.runnerOutput(out, ["eos": [2], "stop": [10, 42, 12], "len": [10, 11, 12], "ign": [2]]))
        let byID = Dictionary(uniqueKeysWithValues: outputs.map { ($0.reqID, $0) })
        #expect(byID["eos"]?.newTokenIDs == [2] && byID["eos"]?.finishReason == .stop && byID["eos"]?.stopReason == nil)
        #expect(byID["stop"]?.newTokenIDs == [10, 42] && byID["stop"]?.finishReason == .stop)
        #expect(byID["stop"]?.stopReason == .tokenID(42))
        #expect(byID["len"]?.newTokenIDs == [10, 11] && byID["len"]?.finishReason == .length)
        #expect(byID["ign"]?.newTokenIDs == [2] && byID["ign"]?.finishReason == nil)
        #expect(s.running.map(\.requestID) == ["ign"])
        #expect(s.schedule().finishedReqIDs == ["eos", "stop", "len"])
    }

    @Test("EOS on the step reaching max_tokens is a stop; ignore_eos still honours stop ids (docs/scheduling.md §12)")
    func stopOrder() throws {
        let s = try Scheduler(config: T.config())
        try s.addRequest(
            requestID: "a", promptTokenIDs: T.tokens(0, 10), samplingParams: T.params(maxTokens: 1), eosTokenID: 2)
        try s.addRequest(
            requestID: "b", promptTokenIDs: T.tokens(100, 10), samplingParams: T.params(stop: [9], ignoreEOS: true),
            eosTokenID: 2)
        let out = s.schedule()
        let outputs = s.updateFromOutput(out, T.runnerOutput(out, ["a": [2], "b": [9]]))
        #expect(outputs.allSatisfy { $0.finishReason == .stop })
        #expect(outputs.count == 2)
    }

    // AC-28 (min_tokens) is not the scheduler's: vLLM 0.33's check_stop ignores min_tokens and the sampler masks
    // EOS and stop ids instead (docs/scheduling.md §12), so it is tested with the runner's sampler.

    @Test("max_model_len caps the length: the request finishes when its sequence reaches it")
    func maxModelLen() throws {
        let s = try Scheduler(config: T.config(maxModelLen: 12))
        try s.addRequest(requestID: "a", promptTokenIDs: T.tokens(0, 10), samplingParams: T.params(maxTokens: 100))
        var reasons: [FinishReason?] = []
        while s.numUnfinishedRequests > 0 {
            let out = s.schedule()
            reasons += s.updateFromOutput(out, T.runnerOutput(s, out)).map(\.finishReason)
        }
        #expect(reasons == [nil, .length])
    }
}
