import ServingCore
import Testing

@testable import ModelRuntime

/// A draft that IS the target (the embedded model's weights) must propose exactly the target's greedy continuation,
/// whatever the verification accepted before.
@Suite("Draft model: catch-up and greedy proposals")
struct DraftProposeTests {
    /// The embedded model's greedy continuation of any token sequence, by a plain prefill and decode steps.
    final class Reference {
        let runner: ModelRunner

        init() throws {
            runner = try ModelRunner(source: .embeddedDefault)
            runner.initializeKVCache(numBlocks: 64, blockSize: 4)
        }

        func continuation(_ tokens: [TokenID], count: Int) throws -> [TokenID] {
            runner.reset()
            let blocks = Array(0..<(tokens.count + count + 3) / 4)
            var out = try runner.execute(
                SchedulerOutput(
                    stepID: 0,
                    scheduledNewReqs: [
                        NewRequestData(reqID: "ref", promptTokenIDs: tokens, samplingParams: .greedy, blockIDs: blocks)
                    ],
                    numScheduledTokens: ["ref": tokens.count]))
            var result = out.sampledTokenIDs[0]
            while result.count < count {
                out = try runner.execute(
                    SchedulerOutput(
                        stepID: result.count,
                        scheduledCachedReqs: [
                            CachedRequestData(
                                reqID: "ref", numComputedTokens: tokens.count + result.count - 1,
                                numOutputTokens: result.count)
                        ],
                        numScheduledTokens: ["ref": 1]))
                result += out.sampledTokenIDs[0]
            }
            return result
        }
    }

    /// One request as the draft sees it across steps: its real tokens, its blocks, and what a step fed.
    struct Row {
        var id: String
        var tokens: [TokenID]
        var blocks: [Int]
        /// The step's input: its first position and the tokens scheduled there (drafts included).
        var start = 0
        var fed: [TokenID] = []

        var input: InputRow {
            InputRow(
                numComputedTokens: start, numScheduledTokens: fed.count, blockIDs: blocks,
                tokenIDs: Array(tokens[..<start]) + fed)
        }
        var request: DraftModel.Request { DraftModel.Request(reqID: id, tokenIDs: tokens, blockIDs: blocks) }
    }

    static func draft(k: Int = 4) throws -> DraftModel {
        let d = try DraftModel(
            source: .embeddedDefault, name: "embedded", numSpeculativeTokens: k, target: .embeddedDefault,
            maxModelLen: 2048)
        d.initializeKVCache(numBlocks: 64, blockSize: 4)
        return d
    }

    static func catchUp(_ draft: DraftModel, _ rows: [Row]) {
        draft.catchUp(
            reqIDs: rows.map(\.id), inputs: InputPreparation.prepare(rows: rows.map(\.input), blockSize: 4))
    }

    @Test("through the runner's hook, drafts after a prefill and after a decode are the target's continuation")
    func runnerHook() throws {
        let ref = try Reference()
        let runner = try ModelRunner(source: .embeddedDefault)
        try runner.loadDraft(source: .embeddedDefault, name: "embedded", numSpeculativeTokens: 4)
        runner.initializeKVCache(numBlocks: 32, blockSize: 4)
        var params = SamplingParams.greedy
        params.maxTokens = 100
        let prompts: [String: [TokenID]] = [
            "a": [1, 72, 101, 108, 108, 111], "b": [1, 300, 301, 302], "c": [1, 65, 66, 67, 68, 69, 70],
        ]
        var blocks: [String: [Int]] = [:]
        var next = 0
        for (id, prompt) in prompts.sorted(by: { $0.key < $1.key }) {
            // Room for the prompt, its first two outputs and 4 lookahead slots after each (3 blocks for all three).
            let n = (prompt.count + 1 + 4 + 3) / 4
            blocks[id] = Array(next..<next + n)
            next += n
        }
        let step0 = SchedulerOutput(
            stepID: 0,
            scheduledNewReqs: prompts.map {
                NewRequestData(
                    reqID: $0.key, promptTokenIDs: $0.value, samplingParams: params, blockIDs: blocks[$0.key]!)
            },
            numScheduledTokens: prompts.mapValues(\.count))
        let out0 = try runner.execute(step0)
        let inputs0 = InputPreparation.prepare(
            rows: out0.reqIDs.map {
                InputRow(
                    numComputedTokens: 0, numScheduledTokens: prompts[$0]!.count, blockIDs: blocks[$0]!,
                    tokenIDs: prompts[$0]!)
            }, blockSize: 4)
        let drafts0 = try #require(
            runner.proposeDrafts(ids: out0.reqIDs, inputs: inputs0, sampledRows: Array(out0.reqIDs.indices)))
        var truth: [String: [TokenID]] = [:]
        for (r, id) in out0.reqIDs.enumerated() {
            truth[id] = try ref.continuation(prompts[id]!, count: 6)
            #expect(out0.sampledTokenIDs[r] == [truth[id]![0]])
            #expect(drafts0[r] == Array(truth[id]![1...4]), "request \(id)")
        }
        // A plain decode of the first output (no drafts verified): the next drafts start one token later.
        let step1 = SchedulerOutput(
            stepID: 1,
            scheduledCachedReqs: prompts.map {
                CachedRequestData(reqID: $0.key, numComputedTokens: $0.value.count, numOutputTokens: 1)
            },
            numScheduledTokens: prompts.mapValues { _ in 1 })
        let out1 = try runner.execute(step1)
        let inputs1 = InputPreparation.prepare(
            rows: out1.reqIDs.map {
                InputRow(
                    numComputedTokens: prompts[$0]!.count, numScheduledTokens: 1, blockIDs: blocks[$0]!,
                    tokenIDs: prompts[$0]! + [truth[$0]![0]])
            }, blockSize: 4)
        let drafts1 = try #require(
            runner.proposeDrafts(ids: out1.reqIDs, inputs: inputs1, sampledRows: Array(out1.reqIDs.indices)))
        for (r, id) in out1.reqIDs.enumerated() {
            #expect(out1.sampledTokenIDs[r] == [truth[id]![1]])
            #expect(drafts1[r] == Array(truth[id]![2...5]), "request \(id)")
        }
        // Without a draft model the hook proposes nothing.
        let plain = try ModelRunner(source: .embeddedDefault)
        #expect(plain.proposeDrafts(ids: [], inputs: inputs0, sampledRows: []) == nil)
    }

    @Test("a request that just ended, or has structured outputs, gets no drafts through the hook")
    func noDraftsForEndedOrConstrained() throws {
        let prompt: [TokenID] = [1, 72, 101, 108, 108, 111]
        let first = try Reference().continuation(prompt, count: 1)[0]
        let runner = try ModelRunner(source: .embeddedDefault)
        try runner.loadDraft(source: .embeddedDefault, name: "embedded", numSpeculativeTokens: 4)
        runner.initializeKVCache(numBlocks: 16, blockSize: 4)
        var plain = SamplingParams.greedy
        plain.maxTokens = 100
        var stop = plain
        stop.stopTokenIDs = [first]
        var constrained = plain
        constrained.structuredOutputs = StructuredOutputsParams(kind: .regex, spec: ".*")
        let requests = [
            NewRequestData(reqID: "plain", promptTokenIDs: prompt, samplingParams: plain, blockIDs: [0, 1, 2]),
            NewRequestData(
                reqID: "eos", promptTokenIDs: prompt, samplingParams: plain, eosTokenID: first, blockIDs: [3, 4, 5]),
            NewRequestData(reqID: "stop", promptTokenIDs: prompt, samplingParams: stop, blockIDs: [6, 7, 8]),
            NewRequestData(reqID: "json", promptTokenIDs: prompt, samplingParams: constrained, blockIDs: [9, 10, 11]),
        ]
        let out = try runner.execute(
            SchedulerOutput(
                stepID: 0, scheduledNewReqs: requests,
                numScheduledTokens: Dictionary(uniqueKeysWithValues: requests.map { ($0.reqID, prompt.count) })))
        let inputs = InputPreparation.prepare(
            rows: out.reqIDs.map { id in
                let blocks = requests.first { $0.reqID == id }!.blockIDs
                return InputRow(numComputedTokens: 0, numScheduledTokens: 6, blockIDs: blocks, tokenIDs: prompt)
            }, blockSize: 4)
        let drafts = try #require(
            runner.proposeDrafts(ids: out.reqIDs, inputs: inputs, sampledRows: Array(out.reqIDs.indices)))
        let byID = Dictionary(uniqueKeysWithValues: zip(out.reqIDs, drafts))
        #expect(out.sampledTokenIDs.allSatisfy { $0 == [first] })
        #expect(byID["plain"]?.count == 4)
        #expect(byID["eos"] == [] && byID["stop"] == [] && byID["json"] == [])
    }

    @Test("after partial, full, zero and diverging acceptance the drafts are still the target's continuation")
    func acceptancePatterns() throws {
        let ref = try Reference()
        let draft = try Self.draft()
        var a = Row(id: "a", tokens: [1, 72, 101, 108, 108, 111], blocks: Array(0..<12))
        var b = Row(id: "b", tokens: [1, 300, 301, 302, 303, 304, 305, 306, 307], blocks: Array(12..<24))
        // Step 0: the prompts; each emits the target's next token.
        a.fed = a.tokens
        b.fed = b.tokens
        Self.catchUp(draft, [a, b])
        a.tokens += try ref.continuation(a.tokens, count: 1)
        b.tokens += try ref.continuation(b.tokens, count: 1)
        var drafts = draft.propose([a.request, b.request])
        #expect(drafts[0] == Array(try ref.continuation(a.tokens, count: 4)))
        #expect(drafts[1] == Array(try ref.continuation(b.tokens, count: 4)))

        /// Schedules the last token and `scheduled` drafts, then appends `emitted` (what verification returned).
        func step(_ rows: inout [Row], scheduled: [[TokenID]], emitted: [[TokenID]]) throws -> [[TokenID]] {
            for i in rows.indices {
                rows[i].start = rows[i].tokens.count - 1
                rows[i].fed = [rows[i].tokens.last!] + scheduled[i]
            }
            Self.catchUp(draft, rows)
            for i in rows.indices { rows[i].tokens += emitted[i] }
            return draft.propose(rows.map(\.request))
        }
        var rows = [a, b]
        for pattern in ["partial", "full", "none", "diverging"] {
            let truth = try rows.map { try ref.continuation($0.tokens, count: 5) }
            let wrong = truth.map { t in t.map { ($0 + 1) % 512 } }
            let (scheduled, emitted): ([[TokenID]], [[TokenID]])
            switch pattern {
            case "partial":
                // a accepts 2 of 4 then gets the target's token; b accepts 1 of 3.
                scheduled = [Array(truth[0][0..<2]) + Array(wrong[0][2..<4]), [truth[1][0]] + Array(wrong[1][1..<3])]
                emitted = [Array(truth[0][0..<3]), Array(truth[1][0..<2])]
            case "full":
                scheduled = [Array(truth[0][0..<4]), Array(truth[1][0..<2])]
                emitted = [Array(truth[0][0..<5]), Array(truth[1][0..<3])]
            case "none":
                scheduled = [Array(wrong[0][0..<4]), [wrong[1][0]]]
                emitted = [[truth[0][0]], [truth[1][0]]]
            default:
                // Tokens that differ from what the step fed before the last one (a resend, say): the draft
                // recomputes its KV from the first difference, a short prefill.
                scheduled = [Array(truth[0][0..<4]), Array(truth[1][0..<4])]
                emitted = [[wrong[0][0], truth[0][1], truth[0][2]], [wrong[1][0], wrong[1][1]]]
            }
            drafts = try step(&rows, scheduled: scheduled, emitted: emitted)
            for i in rows.indices {
                #expect(drafts[i] == (try ref.continuation(rows[i].tokens, count: 4)), "\(pattern), row \(i)")
            }
        }
    }

    @Test("a request the catch-up did not see is recomputed from position 0")
    func noRecord() throws {
        let ref = try Reference()
        let draft = try Self.draft()
        let row = Row(id: "a", tokens: [1, 40, 41, 42, 43, 44, 45], blocks: [5, 2, 9])
        #expect(draft.staleStart(row.request) == 0)
        #expect(draft.propose([row.request])[0] == (try ref.continuation(row.tokens, count: 4)))
    }

    @Test("drafts stop where the block table or the request's remaining tokens end")
    func fewerDrafts() throws {
        let ref = try Reference()
        let draft = try Self.draft()
        // p = 6: slots up to 8 leave room for 2 drafts (positions 6 and 7 are written).
        var a = Row(id: "a", tokens: [1, 40, 41, 42, 43, 44, 45], blocks: [0, 1])
        a.fed = Array(a.tokens.dropLast())
        Self.catchUp(draft, [a])
        var b = DraftModel.Request(reqID: "b", tokenIDs: [1, 50, 51], blockIDs: [2, 3, 4], maxDrafts: 1)
        let drafts = draft.propose([a.request, b])
        #expect(drafts[0] == Array(try ref.continuation(a.tokens, count: 2)))
        #expect(drafts[1] == Array(try ref.continuation(b.tokenIDs, count: 1)))
        b.maxDrafts = 0
        #expect(draft.propose([b]) == [[]])
    }
}
