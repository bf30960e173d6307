import ServingCore
import Testing

@testable import Scheduling

@Suite("Async scheduling on random workloads")
struct AsyncSchedulingPropertyTests {
    struct Outcome: Equatable {
        var tokens: [TokenID] = []
        var finish: FinishReason?
    }

    /// Replays a random workload with steps pipelined two deep (async) or one at a time (sync), optionally with
    /// random aborts and runner losses, checking the block pool after every step; returns each request's outcome.
    static func replay(seed: Int, async: Bool, aborts: Bool) throws -> [String: Outcome] {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 101)
        let chunked = Bool.random(using: &rng)
        let maxNumSeqs = Int.random(in: 1...8, using: &rng)
        var config = TestSupport.config(
            blocks: Int.random(in: 18...60, using: &rng), maxNumSeqs: maxNumSeqs,
            budget: chunked
                ? Int.random(in: max(maxNumSeqs, 8)...300, using: &rng) : Int.random(in: 256...400, using: &rng),
            maxModelLen: 256, caching: Int.random(in: 0..<4, using: &rng) > 0, chunked: chunked,
            threshold: Bool.random(using: &rng) ? 0 : Int.random(in: 1...64, using: &rng),
            policy: Bool.random(using: &rng) ? .fcfs : .priority)
        config.asyncScheduling = async
        let s = try Scheduler(config: config)
        let prefix = TestSupport.tokens(10_000, Int.random(in: 16...64, using: &rng))
        // The model: a request's k-th output token depends only on (request, k); token 2 is EOS.
        let eosAt = (0..<30).map { _ in Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 0...40, using: &rng) : -1 }
        let runner = PipelinedRunnerModel { id, k in k == eosAt[Int(id.dropFirst())!] ? 2 : TokenID(100 + k % 50) }
        var arrivals: [(step: Int, id: String, prompt: [TokenID], maxTokens: Int, priority: Int)] = (0..<30).map { i in
            var prompt = Bool.random(using: &rng) ? prefix : []
            prompt += (0..<Int.random(in: 1...80, using: &rng)).map { _ in TokenID.random(in: 3...500, using: &rng) }
            return (Int.random(in: 0...40, using: &rng), "r\(i)", Array(prompt.prefix(255)),
                    Int.random(in: 1...60, using: &rng), Int.random(in: 0...3, using: &rng))
        }
        arrivals.sort { $0.step < $1.step }
        var outcomes: [String: Outcome] = [:]
        var next = 0
        var pending: (SchedulerOutput, ModelRunnerOutput)? = nil
        var decodesAhead = 0
        func apply(_ out: SchedulerOutput, _ result: ModelRunnerOutput) {
            for o in s.updateFromOutput(out, result) {
                #expect(outcomes[o.reqID]?.finish == nil, "output after the finish of \(o.reqID)")
                outcomes[o.reqID, default: Outcome()].tokens += o.newTokenIDs
                if let f = o.finishReason { outcomes[o.reqID]!.finish = f }
            }
        }
        for step in 0..<5000 {
            while next < arrivals.count && arrivals[next].step <= step {
                let a = arrivals[next]
                try s.addRequest(
                    requestID: a.id, promptTokenIDs: a.prompt, samplingParams: TestSupport.params(maxTokens: a.maxTokens),
                    eosTokenID: 2, priority: a.priority)
                outcomes[a.id] = Outcome()
                next += 1
            }
            if aborts && Int.random(in: 0..<50, using: &rng) == 0,
                let victim = s.requests.keys.sorted().randomElement(using: &rng)
            {
                s.finishRequests([victim])
                outcomes[victim]!.finish = .abort
            }
            if aborts && Int.random(in: 0..<80, using: &rng) == 0 {
                s.preemptAllRunning()
                runner.forgetAll()
                pending = nil
            }
            if next == arrivals.count && s.numUnfinishedRequests == 0 {
                // The last step's output only carries discarded tokens of finished requests.
                if let (o, r) = pending { apply(o, r) }
                break
            }
            let out = s.schedule()
            #expect(out.totalNumScheduledTokens <= config.maxNumBatchedTokens)
            #expect(s.running.count <= config.maxNumSeqs)
            #expect(s.requests.values.allSatisfy { (0...2).contains($0.numOutputPlaceholders) })
            if !async { #expect(s.requests.values.allSatisfy { $0.numOutputPlaceholders == 0 }) }
            SchedulerPropertyTests().checkHeldBlocks(s)
            if s.requests.values.contains(where: { $0.numOutputPlaceholders == 2 }) { decodesAhead += 1 }
            let result = runner.execute(s, out)
            if async {
                if let (o, r) = pending { apply(o, r) }
                pending = (out, result)
            } else {
                apply(out, result)
            }
            SchedulerPropertyTests().checkHeldBlocks(s)
        }
        #expect(s.numUnfinishedRequests == 0, "seed \(seed) did not finish")
        if async { #expect(decodesAhead > 0, "some decode ran a step ahead") }
        #expect(s.kvCacheManager.numFreeBlocks == config.numGPUBlocks - 1)
        for a in arrivals where outcomes[a.id]?.finish == .length {
            #expect(runner.maxOutputs[a.id] == a.maxTokens, "\(a.id) never ran a step past max_tokens")
        }
        return outcomes
    }

    @Test("async and sync scheduling produce the same tokens and finish reasons", arguments: 0..<24)
    func sameResults(seed: Int) throws {
        let sync = try Self.replay(seed: seed, async: false, aborts: false)
        let async = try Self.replay(seed: seed, async: true, aborts: false)
        #expect(sync.count == 30)
        #expect(sync.values.allSatisfy { $0.finish != nil })
        #expect(async == sync)
    }

    @Test("with random aborts and runner losses, async scheduling never leaks a block and every request ends",
          arguments: 0..<24)
    func abortsAndRunnerLosses(seed: Int) throws {
        let outcomes = try Self.replay(seed: seed, async: true, aborts: true)
        #expect(outcomes.count == 30)
        #expect(outcomes.values.allSatisfy { $0.finish != nil })
    }
}
