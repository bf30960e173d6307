import ApusTestSupport
import Foundation
import Scheduling
import ServingCore
import Testing
@testable import Engine

/// Speculative decoding through the engine loop (docs/scheduling.md §15): drafts come from the n-gram proposer,
/// a scripted runner verifies them, and the output equals the output without speculation.
@Suite("Engine loop with speculative decoding")
struct SpeculativeEngineTests {
    static func start(_ executor: ScriptedExecutor, speculative: SpeculativeConfig?, chunk: Int = 64) async throws
        -> (EngineCore, Task<Void, Never>)
    {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 256
        options.maxNumBatchedTokens = chunk
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.speculative = speculative
        let started = try await EngineBootstrap.start(executor: executor, options: options)
        let engine = started.engine
        return (engine, Task { await engine.run() })
    }

    /// A "model" whose output repeats a period-5 cycle that also appears in the prompt, so prompt lookup drafts it.
    static let cycle: [TokenID] = [41, 42, 43, 44, 45]
    static func script(_ id: String, _ i: Int) -> TokenID { i < 3 ? TokenID(60 + i) : cycle[(i - 3) % 5] }
    static func prompt(_ salt: Int) -> [TokenID] { [TokenID(5 + salt), 6, 7] + cycle + cycle + [8, 9] }

    /// Runs `ids` concurrently and returns each one's tokens, plus the engine's speculative counters.
    static func run(_ ids: [String], maxTokens: Int, speculative: SpeculativeConfig?) async throws
        -> ([String: [TokenID]], SpecDecodingStats, Int)
    {
        let executor = ScriptedExecutor(runner: ScriptedRunner(script: script), profile: EngineLoopTests.profile)
        let (engine, loop) = try await start(executor, speculative: speculative)
        defer { loop.cancel() }
        let logs = Dictionary(uniqueKeysWithValues: ids.map { ($0, OutputLog()) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, id) in ids.enumerated() {
                var p = SamplingParams()
                p.maxTokens = maxTokens
                let request = EngineRequest(requestID: id, promptTokenIDs: prompt(k), samplingParams: p)
                group.addTask { try await engine.generate(request) { logs[id]!.append($0) } }
            }
            try await group.waitForAll()
        }
        let stats = engine.state.load
        return (logs.mapValues(\.tokens), stats.specDecoding, stats.stepCounter)
    }

    @Test("n-gram drafts are verified: the same tokens as without speculation, in fewer steps")
    func sameOutputFewerSteps() async throws {
        let ids = ["a", "b", "c"]
        let (plain, none, plainSteps) = try await Self.run(ids, maxTokens: 40, speculative: nil)
        var spec = SpeculativeConfig(method: .ngram, numSpeculativeTokens: 4)
        spec.promptLookupMin = 2
        spec.promptLookupMax = 4
        let (drafted, stats, specSteps) = try await Self.run(ids, maxTokens: 40, speculative: spec)
        for id in ids {
            #expect(plain[id]?.count == 40)
            #expect(drafted[id] == plain[id], "request \(id)")
        }
        #expect(none.numDrafts == 0)
        #expect(stats.numDrafts > 0 && stats.numAcceptedTokens > 0)
        #expect(stats.numAcceptedTokens <= stats.numDraftTokens)
        #expect(specSteps < plainSteps, "\(specSteps) steps with drafts vs \(plainSteps) without")
    }

    @Test("suffix decoding: the same tokens as without speculation, in fewer steps")
    func suffixSameOutput() async throws {
        let ids = ["a", "b"]
        let (plain, _, plainSteps) = try await Self.run(ids, maxTokens: 40, speculative: nil)
        let spec = try SpeculativeConfig(json: #"{"method": "suffix", "num_speculative_tokens": 6}"#)
        let (drafted, stats, specSteps) = try await Self.run(ids, maxTokens: 40, speculative: spec)
        for id in ids { #expect(drafted[id] == plain[id], "request \(id)") }
        #expect(stats.numAcceptedTokens > 0)
        #expect(specSteps < plainSteps, "\(specSteps) steps with drafts vs \(plainSteps) without")
    }

    @Test("a draft model identical to the target (scripted) has every draft accepted; the output is unchanged")
    func draftModelRunnerProposes() async throws {
        let k = 3
        let runner = ScriptedRunner(script: Self.script, drafter: { id, next in (0..<k).map { Self.script(id, next + $0) } })
        var profile = EngineLoopTests.profile
        profile.draftModel = "draft"
        profile.draftVocabSize = profile.vocabSize
        let executor = ScriptedExecutor(runner: runner, profile: profile)
        let spec = try SpeculativeConfig(json: #"{"method": "draft_model", "model": "/m/draft", "num_speculative_tokens": 3}"#)
        let (engine, loop) = try await Self.start(executor, speculative: spec)
        defer { loop.cancel() }
        var p = SamplingParams()
        p.maxTokens = 30
        let log = OutputLog()
        try await engine.generate(EngineRequest(requestID: "a", promptTokenIDs: Self.prompt(0), samplingParams: p)) {
            log.append($0)
        }
        #expect(log.tokens == (0..<30).map { Self.script("a", $0) })
        let stats = engine.state.load.specDecoding
        #expect(stats.numDraftTokens > 0 && stats.numAcceptedTokens == stats.numDraftTokens)
        #expect(engine.configuration.scheduler.numLookaheadTokens == 3)
    }

    @Test("a draft-model config against a runner without a draft model, or with another vocabulary, is refused")
    func draftModelMissing() async throws {
        let spec = try SpeculativeConfig(json: #"{"method": "draft_model", "model": "/m/draft", "num_speculative_tokens": 3}"#)
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxModelLen = 256
        options.speculative = spec
        await #expect(throws: EngineRequestError.self) {
            _ = try await EngineBootstrap.start(
                executor: ScriptedExecutor(profile: EngineLoopTests.profile), options: options)
        }
        var other = EngineLoopTests.profile
        other.draftModel = "draft"
        other.draftVocabSize = other.vocabSize + 1
        do {
            _ = try await EngineBootstrap.start(executor: ScriptedExecutor(profile: other), options: options)
            Issue.record("a draft with another vocabulary was accepted")
        } catch {
            #expect("\(error)".contains("vocabulary"))
        }
    }

    @Test("drafts never run past max_tokens: the last step proposes at most what the request may still emit")
    func draftsStopAtMaxTokens() async throws {
        var spec = SpeculativeConfig(method: .ngram, numSpeculativeTokens: 8)
        spec.promptLookupMin = 1
        spec.promptLookupMax = 3
        let (out, stats, _) = try await Self.run(["a"], maxTokens: 12, speculative: spec)
        #expect(out["a"]?.count == 12)
        #expect(out["a"] == (0..<12).map { Self.script("a", $0) })
        // Every proposed draft beyond the first 3 outputs is a cycle token, accepted unless the request ran out.
        #expect(stats.numDraftTokens - stats.numAcceptedTokens <= 8)
    }
}

@Suite("--speculative-config parsing")
struct SpeculativeConfigTests {
    @Test("vLLM's ngram form, with its defaults for missing lookup bounds")
    func ngram() throws {
        let a = try SpeculativeConfig(json: #"{"method": "ngram", "num_speculative_tokens": 4}"#)
        #expect(a.method == .ngram && a.numSpeculativeTokens == 4)
        #expect(a.promptLookupMin == 5 && a.promptLookupMax == 5)
        let b = try SpeculativeConfig(json: #"{"method": "ngram", "num_speculative_tokens": 3, "prompt_lookup_max": 4}"#)
        #expect(b.promptLookupMin == 4 && b.promptLookupMax == 4)
        let c = try SpeculativeConfig(
            json: #"{"model": "ngram", "method": "ngram", "num_speculative_tokens": 2, "prompt_lookup_min": 1, "prompt_lookup_max": 3}"#)
        #expect(c.promptLookupMin == 1 && c.promptLookupMax == 3)
    }

    @Test("vLLM's draft_model form: the model path is kept, the runner proposes")
    func draftModel() throws {
        let a = try SpeculativeConfig(json: #"{"method": "draft_model", "model": "/m/small.gguf", "num_speculative_tokens": 5}"#)
        #expect(a.method == .draftModel && a.draftModel == "/m/small.gguf" && a.numSpeculativeTokens == 5)
        #expect(a.runnerProposes)
    }

    @Test("vLLM's suffix form: defaults 24 / 10,000 / 1.0 / 0.1, and k defaults to the tree depth")
    func suffix() throws {
        let a = try SpeculativeConfig(json: #"{"method": "suffix"}"#)
        #expect(a.method == .suffix && a.numSpeculativeTokens == 24)
        #expect(a.suffixMaxTreeDepth == 24 && a.suffixMaxCachedRequests == 10_000)
        #expect(a.suffixMaxSpecFactor == 1.0 && a.suffixMinTokenProb == 0.1)
        let b = try SpeculativeConfig(
            json: #"{"method": "suffix", "suffix_decoding_max_tree_depth": 16, "suffix_decoding_max_cached_requests": 0, "suffix_decoding_max_spec_factor": 2.5, "suffix_decoding_min_token_prob": 0.3}"#)
        #expect(b.numSpeculativeTokens == 16 && b.suffixMaxCachedRequests == 0)
        #expect(b.suffixMaxSpecFactor == 2.5 && b.suffixMinTokenProb == 0.3)
    }

    @Test("bad configs are refused with a message naming the problem", arguments: [
        (#"not json"#, "JSON object"),
        (#"{"num_speculative_tokens": 4}"#, "method"),
        (#"{"method": "ngram"}"#, "num_speculative_tokens"),
        (#"{"method": "ngram", "num_speculative_tokens": 0}"#, "at least 1"),
        (#"{"method": "ngram", "num_speculative_tokens": "4"}"#, "wrong type"),
        (#"{"method": "ngram", "num_speculative_tokens": 2, "prompt_lookup_min": 4, "prompt_lookup_max": 2}"#, "<="),
        (#"{"method": "ngram", "num_speculative_tokens": 2, "prompt_lookup_min": 0}"#, "prompt_lookup_min"),
        (#"{"method": "telepathy", "num_speculative_tokens": 2}"#, "unknown method"),
        (#"{"method": "draft_model", "num_speculative_tokens": 2}"#, "needs \"model\""),
        (#"{"method": "eagle", "num_speculative_tokens": 2}"#, "not supported yet"),
        (#"{"method": "ngram", "num_speculative_tokens": 2, "model": "/m/draft"}"#, "draft model"),
        (#"{"method": "ngram", "num_speculative_tokens": 2, "lookahead": 1}"#, "unknown key"),
        (#"{"method": "suffix", "suffix_decoding_min_token_prob": 1.5}"#, "min_token_prob"),
        (#"{"method": "suffix", "suffix_decoding_max_tree_depth": 0}"#, "at least 1"),
        (#"{"method": "suffix", "suffix_decoding_max_cached_requests": -1}"#, "max_cached_requests"),
    ])
    func refused(json: String, expected: String) {
        do {
            _ = try SpeculativeConfig(json: json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

@Suite("n-gram proposer")
struct NgramProposerTests {
    @Test("the longest suffix match wins; ties go to the earliest occurrence; drafts stop at the known tokens")
    func choices() {
        func p(_ t: [TokenID], _ lo: Int, _ hi: Int, _ k: Int) -> [TokenID] {
            NgramProposer.propose(tokens: t[...], minN: lo, maxN: hi, maxDrafts: k)
        }
        // "1 2 3" ends the tokens and occurs at 0: propose what followed it.
        #expect(p([1, 2, 3, 4, 5, 9, 1, 2, 3], 1, 3, 2) == [4, 5])
        // Two occurrences of "2 3": the earliest (followed by 7) wins over the later one (followed by 8).
        #expect(p([2, 3, 7, 2, 3, 8, 2, 3], 2, 2, 1) == [7])
        // A longer match beats an earlier shorter one.
        #expect(p([3, 6, 1, 2, 3, 7, 2, 3], 1, 3, 1) == [7])
        // Below min_n: nothing.
        #expect(p([1, 2, 9, 5, 2], 2, 3, 3) == [])
        // A run of one token: the match overlaps the suffix, drafts stop at the end.
        #expect(p([5, 5, 5, 5], 1, 3, 4) == [5])
        #expect(p([1], 1, 3, 4) == [])
        #expect(p([1, 2, 1, 2], 1, 5, 0) == [])
    }

    struct Case: Decodable {
        var tokens: [TokenID]
        var min_n: Int
        var max_n: Int
        var k: Int
        var max_model_len: Int
        var drafts: [TokenID]
    }

    @Test("the same drafts as vLLM 0.33's proposer on 400 random sequences (scripts/ngram-reference.py)")
    func agreesWithVLLM() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/speculative/ngram-vllm-0.33.json")
        struct File: Decodable { var cases: [Case] }
        let cases = try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        #expect(cases.count == 400)
        for c in cases {
            let ours = NgramProposer.propose(
                tokens: c.tokens[...], minN: c.min_n, maxN: c.max_n, maxDrafts: min(c.k, c.max_model_len - c.tokens.count))
            #expect(ours == c.drafts, "\(c.tokens) n \(c.min_n)...\(c.max_n) k \(c.k)")
        }
    }
}

@Suite("suffix decoding proposer")
struct SuffixProposerTests {
    static func proposer(depth: Int = 24, cached: Int = 10, factor: Double = 1.0, minProb: Double = 0.1)
        -> SuffixProposer
    {
        SuffixProposer(maxTreeDepth: depth, maxCachedRequests: cached, maxSpecFactor: factor, minTokenProb: minProb)
    }

    @Test("from the request's own tokens: the continuation of the longest earlier match")
    func ownTokens() {
        let p = Self.proposer(factor: 4)
        let tokens: [TokenID] = [1, 2, 3, 4, 5, 6, 9, 9, 1, 2, 3]
        #expect(p.propose(reqID: "a", promptLength: 5, tokens: tokens[...], maxDrafts: 3) == [4, 5, 6])
        // max_spec_factor 1: no more drafts than the match is long.
        let q = Self.proposer(factor: 1)
        #expect(q.propose(reqID: "a", promptLength: 5, tokens: [1, 2, 3, 4, 5, 6, 7, 2][...], maxDrafts: 5) == [3])
    }

    @Test("the most frequent continuation wins, and the walk stops below min_token_prob")
    func frequenciesAndThreshold() {
        // After "7": 8 twice, 9 once. Then after "7 8": 1 once, 2 once (the tie goes to the smaller id); then the one
        // occurrence left goes on, its probability staying 1/3.
        let tokens: [TokenID] = [7, 8, 1, 7, 8, 2, 7, 9, 5, 7]
        let loose = Self.proposer(factor: 8, minProb: 0.1)
        #expect(loose.propose(reqID: "a", promptLength: 0, tokens: tokens[...], maxDrafts: 4) == [8, 1, 7, 8])
        // p(8) = 2/3, then p(8, 1) = 1/3: a threshold of 0.5 keeps only the first.
        let strict = Self.proposer(factor: 8, minProb: 0.5)
        #expect(strict.propose(reqID: "a", promptLength: 0, tokens: tokens[...], maxDrafts: 4) == [8])
    }

    @Test("finished requests' outputs are cached and matched by later requests; the oldest are evicted")
    func globalCache() {
        let p = Self.proposer(cached: 1, factor: 4)
        p.observe(reqID: "old", newTokens: [40, 41, 42, 43, 44])
        p.finished(reqID: "old")
        // A new request whose own tokens have no match finds "40 41" in the cache.
        #expect(p.propose(reqID: "b", promptLength: 3, tokens: [1, 40, 41][...], maxDrafts: 3) == [42, 43, 44])
        // A second finished request evicts the first (max_cached_requests 1).
        p.observe(reqID: "new", newTokens: [50, 51, 52])
        p.finished(reqID: "new")
        #expect(p.propose(reqID: "c", promptLength: 3, tokens: [1, 40, 41][...], maxDrafts: 3) == [])
        #expect(p.propose(reqID: "c", promptLength: 3, tokens: [1, 50, 51][...], maxDrafts: 3) == [52])
        // Many more outputs force compaction; lookups stay right.
        for k in 0..<50 {
            p.observe(reqID: "r\(k)", newTokens: [TokenID(100 + k), 7, TokenID(200 + k)])
            p.finished(reqID: "r\(k)")
        }
        #expect(p.propose(reqID: "d", promptLength: 1, tokens: [149, 7][...], maxDrafts: 2) == [249])
        // "148 7" was in r48, evicted: only r49's "7" matches now.
        #expect(p.propose(reqID: "d", promptLength: 1, tokens: [148, 7][...], maxDrafts: 2) == [249])
    }

    @Test("the tree depth bounds match plus drafts; no cache when max_cached_requests is 0")
    func depthAndNoCache() {
        let p = Self.proposer(depth: 4, cached: 0, factor: 10)
        let tokens: [TokenID] = [1, 2, 3, 4, 5, 6, 1, 2, 3]
        // Match "1 2 3" (3 tokens, the most depth 4 allows), so only 1 draft.
        #expect(p.propose(reqID: "a", promptLength: 0, tokens: tokens[...], maxDrafts: 5) == [4])
        p.observe(reqID: "x", newTokens: [60, 61, 62])
        p.finished(reqID: "x")
        #expect(p.propose(reqID: "b", promptLength: 0, tokens: [60, 61][...], maxDrafts: 2) == [])
    }
}

