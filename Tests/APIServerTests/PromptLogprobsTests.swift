import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("vLLM's prompt_logprobs on completions and chat")
struct PromptLogprobsTests {
    static let tokenizer = FakeEngine.tokenizer

    /// Checks vLLM's shape: `[null, {"<id>": {"logprob", "rank", "decoded_token"}}, …]`, one entry per prompt token,
    /// each position holding the prompt's own token (rank from upstream) and the top-`k` (ranks 1…k).
    func expectPromptLogprobs(
        _ value: JSONValue?, prompt: [TokenID], k: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let list = value?.arrayValue ?? []
        #expect(list.count == prompt.count, sourceLocation: sourceLocation)
        #expect(list.first == .null, sourceLocation: sourceLocation)
        for (j, position) in list.enumerated().dropFirst() {
            let entry = position.objectValue
            #expect(
                entry?.keys.first == String(prompt[j]), "the prompt's own token first", sourceLocation: sourceLocation)
            let own = position[String(prompt[j])]
            #expect(own?["logprob"]?.double == -0.25 * Double(j), sourceLocation: sourceLocation)
            #expect(own?["rank"]?.int == FakeEngine.promptTokenRank, sourceLocation: sourceLocation)
            #expect(
                own?["decoded_token"]?.stringValue == Self.tokenizer.decode([prompt[j]], skipSpecialTokens: false),
                sourceLocation: sourceLocation)
            if k > 0 { #expect(position["3"]?["rank"]?.int == 1, sourceLocation: sourceLocation) }
            #expect(entry?.count == k + 1, sourceLocation: sourceLocation)
        }
    }

    @Test("completions put prompt_logprobs on each choice, and upstream is asked for k")
    func completions() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","prompt_logprobs":2,"n":2,"temperature":1}"#)
            #expect(status == .ok, "\(text)")
            let prompt = Self.tokenizer.encode("Hi there")
            for choice in body["choices"]?.arrayValue ?? [] {
                expectPromptLogprobs(choice["prompt_logprobs"], prompt: prompt, k: 2)
                #expect(choice["text"] == "Hello world", "no echo")
                #expect(choice["logprobs"] == .null)
            }
        }
        #expect(engine.requests.count == 2)
        #expect(engine.requests.allSatisfy { $0.samplingParams.promptLogprobs == 2 })
    }

    @Test("chat puts prompt_logprobs at the top level of the response")
    func chat() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, text) = try await client.post(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"prompt_logprobs":0}"#)
            #expect(status == .ok, "\(text)")
            let prompt = try #require(engine.requests.first?.promptTokenIDs)
            expectPromptLogprobs(body["prompt_logprobs"], prompt: prompt, k: 0)
            #expect(body["choices"]?[0]?["prompt_logprobs"] == nil)
            let (_, plain, _) = try await client.post(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(plain["prompt_logprobs"] == .null)
        }
        #expect(engine.requests.map(\.samplingParams.promptLogprobs) == [0, nil])
    }

    @Test(
        "a bad prompt_logprobs is a 400 naming it, on both endpoints",
        arguments: [
            #""prompt_logprobs":21"#, #""prompt_logprobs":-1"#, #""prompt_logprobs":-2"#, #""prompt_logprobs":"x""#,
            #""prompt_logprobs":1,"stream":true"#,
        ])
    func badValue(field: String) async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            for (uri, head) in [
                ("/v1/completions", #"{"prompt":"Hi","#),
                ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"#),
            ] {
                let (status, body, text) = try await client.post(uri, head + field + "}")
                #expect(status == .badRequest, "\(uri): \(text)")
                #expect(body["error"]?["param"] == "prompt_logprobs", "\(uri): \(text)")
            }
        }
        #expect(engine.requests.isEmpty)
    }

    @Test("prompt_logprobs 0 with a stream is accepted, as vLLM, and returns nothing")
    func zeroOnAStream() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","prompt_logprobs":0,"stream":true}"#)
            #expect(status == .ok)
            #expect(events(text).events.allSatisfy { $0["choices"]?[0]?["prompt_logprobs"] == nil })
        }
        #expect(engine.requests.first?.samplingParams.promptLogprobs == nil, "nothing returns them, none asked")
    }

    @Test("a token in the prompt position and in the top-k appears once, keeping its first place")
    func duplicateToken() {
        let format = LogprobsFormat(tokenizer: Self.tokenizer)
        let position = PositionLogprobs(tokenIDs: [3, 3, 4], logprobs: [-0.1, -0.1, -2], sampledRank: 1)
        let json = format.promptLogprobs([nil, position])
        let entry = json[1]?.objectValue
        #expect(entry?.keys == ["3", "4"])
        #expect(entry?["3"]?["rank"]?.int == 1 && entry?["4"]?["rank"]?.int == 2)
    }
}
