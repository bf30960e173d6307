import ServingCore
import Testing

@testable import Wire

/// The step protocol's domain ↔ wire mapping (`Step+Wire.swift`), over random steps and outputs: domain →
/// `ApusV1` mirror → bytes → mirror → domain gives the value back (less `preemptedReqIDs`, which stays with the
/// engine-core).
@Suite("Step mapping")
struct StepMappingTests {
    /// xorshift64*, deterministic per seed.
    struct Random {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
        mutating func bool() -> Bool { next() & 1 == 1 }
        mutating func tokens(_ count: Int) -> [TokenID] { (0..<count).map { _ in TokenID(int(0...200_000)) } }
        mutating func blocks(_ count: Int) -> [Int] { (0..<count).map { _ in int(0...Int(UInt32.max)) } }
        mutating func logprobs() -> PositionLogprobs {
            let k = int(0...4)
            return PositionLogprobs(
                tokenIDs: tokens(k + 1), logprobs: (0...k).map { _ in -Float(int(0...1000)) / 7 },
                sampledRank: int(1...1000))
        }
    }

    static func randomStep(_ g: inout Random, id: Int) -> SchedulerOutput {
        var step = SchedulerOutput(stepID: g.int(0...Int(Int32.max)))
        for i in 0..<g.int(0...6) {
            var params = SamplingParams()
            params.temperature = Float(g.int(0...20)) / 10
            params.seed = g.bool() ? UInt64(g.int(0...1_000_000)) : nil
            params.maxTokens = g.int(1...4096)
            if g.bool() { params.structuredOutputs = StructuredOutputsParams(kind: .regex, spec: "[a-z]{\(g.int(1...9))}") }
            let r = NewRequestData(
                reqID: "new-\(id)-\(i)", promptTokenIDs: g.tokens(g.int(1...300)), samplingParams: params,
                eosTokenID: g.bool() ? TokenID(g.int(0...50_000)) : nil, blockIDs: g.blocks(g.int(0...20)),
                numComputedTokens: g.int(0...300), lora: g.bool() ? LoRARequest(name: "adapter-\(i)", path: "/lora/\(i)") : nil,
                outputTokenIDs: g.bool() ? g.tokens(g.int(1...40)) : [])
            step.scheduledNewReqs.append(r)
            step.numScheduledTokens[r.reqID] = g.int(1...2048)
        }
        for i in 0..<g.int(0...8) {
            let r = CachedRequestData(
                reqID: "cached-\(id)-\(i)", resumed: g.bool(), newBlockIDs: g.blocks(g.int(0...3)),
                numComputedTokens: g.int(0...100_000), numOutputTokens: g.int(0...5000),
                allTokenIDs: g.bool() ? g.tokens(g.int(1...200)) : nil,
                newTokenIDs: g.bool() ? g.tokens(g.int(1...3)) : [])
            step.scheduledCachedReqs.append(r)
            step.numScheduledTokens[r.reqID] = g.int(1...64)
        }
        step.finishedReqIDs = Set((0..<g.int(0...4)).map { "done-\(id)-\($0)" })
        let constrained = step.scheduledReqIDs.filter { _ in g.bool() }
        if !constrained.isEmpty {
            let words = g.int(1...40)
            step.grammar = GrammarBitmask(
                requestIDs: constrained,
                words: (0..<words * constrained.count).map { _ in UInt32(truncatingIfNeeded: g.next()) })
        }
        // Speculative drafts (−1 padding included) for some scheduled requests; none is nothing on the wire too.
        for rid in step.scheduledReqIDs where g.int(0...2) == 0 {
            step.scheduledSpecDecodeTokens[rid] = (0..<g.int(1...5)).map { _ in g.bool() ? -1 : TokenID(g.int(0...50_000)) }
        }
        if g.bool() {
            let ids = step.scheduledReqIDs
            let counts = ids.map { step.numScheduledTokens[$0]! }
            let hidden = g.int(1...8)
            step.intermediate = IntermediateTensors(
                reqIDs: ids, numTokens: counts, hiddenSize: hidden,
                values: (0..<counts.reduce(0, +) * hidden).map { _ in Float(g.int(-1000...1000)) / 3 })
        }
        return step
    }

    static func randomOutput(_ g: inout Random, id: Int) -> ModelRunnerOutput {
        let ids = (0..<g.int(0...10)).map { "req-\(id)-\($0)" }
        let sampled = ids.map { _ in g.bool() ? g.tokens(1) : [] }
        var out = ModelRunnerOutput(
            stepID: g.int(0...Int(Int32.max)), reqIDs: ids, sampledTokenIDs: sampled,
            runnerIncarnation: g.bool() ? String(g.next(), radix: 16) : "")
        // No requests and no logprobs are one thing on the wire: nil.
        if !ids.isEmpty && g.bool() { out.logprobs = sampled.map { $0.isEmpty ? [] : [g.logprobs()] } }
        for rid in ids where g.int(0...3) == 0 { out.promptLogprobs[rid] = (0..<g.int(1...5)).map { _ in g.logprobs() } }
        // A draft-model runner's proposals; no requests and no drafts are both nil on the wire.
        if !ids.isEmpty && g.bool() { out.draftTokenIDs = ids.map { _ in g.bool() ? g.tokens(g.int(1...5)) : [] } }
        if g.bool() {
            let counts = ids.map { _ in g.int(1...4) }
            out.intermediate = IntermediateTensors(
                reqIDs: ids, numTokens: counts, hiddenSize: 2,
                values: (0..<counts.reduce(0, +) * 2).map { Float($0) - 0.5 })
        }
        return out
    }

    @Test("random steps survive domain → wire → bytes → wire → domain", arguments: 0..<4)
    func steps(seed: Int) throws {
        var g = Random(seed: UInt64(seed) + 1)
        for i in 0..<50 {
            var step = Self.randomStep(&g, id: i)
            step.preemptedReqIDs = g.bool() ? ["preempted-\(i)"] : []
            let decoded = SchedulerOutput(try roundTrip(ApusV1.SchedulerOutput(step)))
            var expected = step
            expected.preemptedReqIDs = []
            #expect(decoded == expected)
            #expect(decoded.totalNumScheduledTokens == step.totalNumScheduledTokens)
        }
    }

    @Test("random runner outputs survive domain → wire → bytes → wire → domain", arguments: 0..<4)
    func outputs(seed: Int) throws {
        var g = Random(seed: UInt64(seed) + 100)
        for i in 0..<50 {
            let out = Self.randomOutput(&g, id: i)
            #expect(try ModelRunnerOutput(roundTrip(ApusV1.ModelRunnerOutput(out))) == out)
        }
    }

    @Test("a runner output whose parallel lists disagree is refused, naming the counts")
    func mismatchedLists() {
        let bad = ApusV1.ModelRunnerOutput(stepID: 1, reqIDs: ["a", "b"], sampledTokenIDs: [[1]])
        #expect {
            try ModelRunnerOutput(bad)
        } throws: { error in
            (error as? WireDecodingError)?.message.contains("2 request ids, 1 token lists") == true
        }
        let badLogprobs = ApusV1.ModelRunnerOutput(
            stepID: 1, reqIDs: ["a"], sampledTokenIDs: [[1]], logprobs: [[], []])
        #expect(throws: WireDecodingError.self) { try ModelRunnerOutput(badLogprobs) }
    }

    @Test("an entry scheduled for 0 tokens stays in the step, for the runner to refuse")
    func zeroScheduled() {
        let wire = ApusV1.SchedulerOutput(
            stepID: 1, scheduledCachedReqs: [ApusV1.CachedRequestData(reqID: "a", numComputedTokens: 3)])
        #expect(SchedulerOutput(wire).numScheduledTokens == ["a": 0])
    }

    /// Found by scripts/fuzz.sh wire-messages: a step id past 2⁶³ decoded to a negative Int, and the runner trapped
    /// converting it back for its output.
    @Test("a step id past 2⁶³ from the wire comes back unchanged in the output, without trapping")
    func hugeStepID() throws {
        let bytes: [UInt8] = [0x08, 0xFE, 0xFF, 0xD1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        let message = try ApusV1.SchedulerOutput(decoding: bytes)
        let step = SchedulerOutput(message)
        #expect(ApusV1.SchedulerOutput(step).stepID == message.stepID)
        let output = ApusV1.ModelRunnerOutput(ModelRunnerOutput(stepID: step.stepID))
        #expect(output.stepID == message.stepID)
    }
}
