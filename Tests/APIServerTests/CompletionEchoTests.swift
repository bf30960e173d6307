import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("POST /v1/completions with echo")
struct CompletionEchoTests {
    static let tokenizer = FakeEngine.tokenizer
    static let generated = "Hello world"

    /// The chunks of one streamed choice, in order.
    func streamedChoices(_ text: String) -> [JSONValue] {
        let (events, done) = events(text)
        #expect(done)
        return events.compactMap { $0["choices"]?[0] }
    }

    /// Checks that `text_offset` runs over the concatenated token texts, from `start`.
    func expectOffsetsRunOverTokens(
        _ lp: JSONValue, start: Int = 0, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let tokens = lp["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let offsets = lp["text_offset"]?.arrayValue?.compactMap(\.int) ?? []
        var expected: [Int] = []
        var at = start
        for token in tokens {
            expected.append(at)
            at += token.unicodeScalars.count
        }
        #expect(offsets == expected, sourceLocation: sourceLocation)
    }

    @Test("a string prompt is prepended to the choice's text, and no prompt logprobs are asked for without logprobs")
    func echoStringPrompt() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","echo":true,"n":2,"temperature":1}"#)
            #expect(status == .ok, "\(text)")
            let texts = body["choices"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
            #expect(texts == ["Hi there" + Self.generated, "Hi there" + Self.generated])
            #expect(body["choices"]?[0]?["logprobs"] == .null)
            #expect(body["choices"]?[0]?["prompt_logprobs"] == .null)
        }
        #expect(engine.requests.allSatisfy { $0.samplingParams.promptLogprobs == nil })
    }

    @Test("a token-id prompt is echoed as its detokenized text, special tokens kept")
    func echoTokenPrompt() async throws {
        let ids = Self.tokenizer.encode("Hi there", addSpecialTokens: true)
        let json = #"{"prompt":[\#(ids.map(String.init).joined(separator: ","))],"echo":true}"#
        try await withAPI { client in
            let (status, body, text) = try await client.post("/v1/completions", json)
            #expect(status == .ok, "\(text)")
            let prompt = Self.tokenizer.decode(ids, skipSpecialTokens: false)
            #expect(body["choices"]?[0]?["text"]?.stringValue == prompt + Self.generated)
        }
    }

    @Test("echo with logprobs asks upstream for prompt_logprobs = k and covers the prompt tokens first")
    func echoLogprobs() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","echo":true,"logprobs":1}"#)
            #expect(status == .ok, "\(text)")
            let choice = try #require(body["choices"]?[0])
            #expect(choice["text"]?.stringValue == "Hi there" + Self.generated)
            let lp = try #require(choice["logprobs"])
            let prompt = Self.tokenizer.encode("Hi there")
            let total = prompt.count + Self.tokenizer.encode(Self.generated, addSpecialTokens: false).count
            let values = try #require(lp["token_logprobs"]?.arrayValue)
            let tops = try #require(lp["top_logprobs"]?.arrayValue)
            #expect(values.count == total && tops.count == total)
            #expect(values[0] == .null && tops[0] == .null, "the first prompt token has no logprob")
            #expect(values[1].double == -0.25 && values[2].double == -0.5)
            #expect(tops[1].objectValue?.count == 2, "the token itself and its top-1")
            #expect(values[prompt.count].double == -0.5, "then the generated tokens")
            let tokens = lp["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(tokens.first == Self.tokenizer.decode([prompt[0]], skipSpecialTokens: false))
            expectOffsetsRunOverTokens(lp)
            #expect(choice["prompt_logprobs"]?.arrayValue?.count == prompt.count, "vLLM also returns them")
        }
        #expect(engine.requests.first?.samplingParams.promptLogprobs == 1)
        #expect(engine.requests.first?.samplingParams.logprobs == 1)
    }

    @Test("streaming sends the prompt in the first chunk of each choice, offsets running over the echoed text")
    func echoStreaming() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","echo":true,"logprobs":1,"stream":true}"#)
            #expect(status == .ok)
            let chunks = streamedChoices(text)
            #expect(chunks.first?["text"]?.stringValue?.hasPrefix("Hi there") == true)
            #expect(chunks.compactMap { $0["text"]?.stringValue }.joined() == "Hi there" + Self.generated)
            #expect(chunks.first?["logprobs"]?["token_logprobs"]?[0] == .null)
            var offset = 0
            for chunk in chunks {
                let lp = try #require(chunk["logprobs"])
                expectOffsetsRunOverTokens(lp, start: offset)
                offset += (lp["tokens"]?.arrayValue ?? []).compactMap(\.stringValue).map(\.unicodeScalars.count)
                    .reduce(0, +)
            }
            #expect(chunks.allSatisfy { $0["prompt_logprobs"] == nil }, "stream chunks never carry prompt_logprobs")
        }
        #expect(engine.requests.first?.samplingParams.promptLogprobs == 1)
    }

    @Test("max_tokens 0 with echo returns just the prompt (upstream generates one token) and its logprobs")
    func echoOnly() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","echo":true,"logprobs":0,"max_tokens":0}"#)
            #expect(status == .ok, "\(text)")
            let choice = try #require(body["choices"]?[0])
            #expect(choice["text"] == "Hi there")
            #expect(choice["finish_reason"] == "length")
            #expect(choice["logprobs"]?["tokens"]?.arrayValue?.count == Self.tokenizer.encode("Hi there").count)
            let (_, _, streamed) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi there","echo":true,"max_tokens":0,"stream":true}"#)
            let chunks = streamedChoices(streamed)
            #expect(chunks.compactMap { $0["text"]?.stringValue }.joined() == "Hi there")
            #expect(chunks.last?["finish_reason"] == "length")
        }
        #expect(engine.requests.map(\.samplingParams.maxTokens) == [1, 1])
        #expect(engine.requests.map(\.samplingParams.promptLogprobs) == [0, nil])
    }

    @Test("max_tokens 0 without echo stays a 400 naming max_tokens")
    func maxTokensZeroWithoutEcho() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"prompt":"Hi","max_tokens":0}"#)
            #expect(status == .badRequest)
            #expect(body["error"]?["param"] == "max_tokens")
        }
        #expect(engine.requests.isEmpty)
    }
}
