import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("POST /v1/chat/completions")
struct ChatRouteTests {
    static let hello = #"{"messages":[{"role":"user","content":"Hi"}]"#

    @Test("the prompt is the chat template's render, tokenized without special tokens added")
    func templatePrompt() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, _) = try await client.post("/v1/chat/completions", Self.hello + "}")
            #expect(status == .ok)
            #expect(body["object"] == "chat.completion")
            #expect(body["choices"]?[0]?["message"]?["role"] == "assistant")
            #expect(body["choices"]?[0]?["message"]?["content"] == "Hello world")
        }
        let tokenizer = FakeEngine.tokenizer
        let expected = tokenizer.encode(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", addSpecialTokens: false)
        let request = try #require(engine.requests.first)
        #expect(request.promptTokenIDs == expected)
        #expect(request.samplingParams.maxTokens == 64 - expected.count, "chat defaults to the rest of the context")
    }

    @Test("max_completion_tokens wins over max_tokens")
    func maxCompletionTokens() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            _ = try await client.post(
                "/v1/chat/completions", Self.hello + #","max_completion_tokens":3,"max_tokens":9}"#)
        }
        #expect(engine.requests.first?.samplingParams.maxTokens == 3)
    }

    @Test("streaming sends the role first, content deltas, the finish, usage and [DONE]")
    func streaming() async throws {
        try await withAPI { client in
            let (_, _, text) = try await client.post(
                "/v1/chat/completions", Self.hello + #","stream":true,"stream_options":{"include_usage":true},"n":2}"#)
            let (events, done) = events(text)
            #expect(done)
            #expect(events.allSatisfy { $0["object"] == "chat.completion.chunk" })
            #expect(events[0]["choices"]?[0]?["delta"]?["role"] == "assistant")
            for index in 0..<2 {
                let mine = events.filter { $0["choices"]?[0]?["index"]?.int == index }
                let content = mine.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
                #expect(content == "Hello world")
                #expect(mine.last?["choices"]?[0]?["finish_reason"] == "length")
            }
            #expect(
                events.last?["usage"]?["completion_tokens"]?.int == 2 * FakeEngine.tokenizer.encode("Hello world").count
            )
        }
    }

    @Test("logprobs with top_logprobs give content entries with bytes and the top alternatives")
    func logprobs() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (_, body, _) = try await client.post(
                "/v1/chat/completions", Self.hello + #","logprobs":true,"top_logprobs":2}"#)
            let content = try #require(body["choices"]?[0]?["logprobs"]?["content"]?.arrayValue)
            #expect(content.count == FakeEngine.tokenizer.encode("Hello world").count)
            let first = try #require(content.first)
            #expect(first["logprob"]?.double == -0.5)
            let token = try #require(first["token"]?.stringValue)
            #expect(first["bytes"]?.arrayValue?.compactMap(\.int) == token.utf8.map(Int.init))
            #expect(first["top_logprobs"]?.arrayValue?.count == 2)
        }
        #expect(engine.requests.first?.samplingParams.logprobs == 2)
    }

    @Test("a stop string in chat finishes with stop and the string as stop_reason")
    func stopString() async throws {
        try await withAPI(FakeEngine(holdOpen: true)) { client in
            let (_, body, _) = try await client.post("/v1/chat/completions", Self.hello + #","stop":"wor"}"#)
            #expect(body["choices"]?[0]?["message"]?["content"] == "Hello ")
            #expect(body["choices"]?[0]?["stop_reason"] == "wor")
        }
    }
}
