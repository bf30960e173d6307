import Foundation
import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("POST /v1/completions")
struct CompletionsRouteTests {
    @Test("a plain request returns the engine's text, the finish reason and usage with cached tokens")
    func plainCompletion() async throws {
        try await withAPI { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"model":"tiny","prompt":"Hi there"}"#)
            #expect(status == .ok)
            #expect(body["object"] == "text_completion")
            #expect(body["model"] == "tiny")
            let choice = try #require(body["choices"]?[0])
            #expect(choice["text"] == "Hello world")
            #expect(choice["finish_reason"] == "length")
            #expect(choice["stop_reason"] == .null)
            #expect(choice["logprobs"] == .null)
            let usage = try #require(body["usage"])
            let promptLen = FakeEngine.tokenizer.encode("Hi there").count
            #expect(usage["prompt_tokens"]?.int == promptLen)
            #expect(usage["completion_tokens"]?.int == FakeEngine.tokenizer.encode("Hello world").count)
            #expect(usage["prompt_tokens_details"]?["cached_tokens"]?.int == 3)
        }
    }

    @Test("return_token_ids adds each choice's prompt_token_ids and token_ids; a stream sends the prompt ids once")
    func returnTokenIDs() async throws {
        let generated = FakeEngine.tokenizer.encode("Hello world", addSpecialTokens: false).map { JSONValue.int(Int($0)) }
        try await withAPI { client in
            let (status, body, _) = try await client.post(
                "/v1/completions", #"{"prompt":[5,6,7],"n":2,"return_token_ids":true}"#)
            #expect(status == .ok)
            for i in 0..<2 {
                #expect(body["choices"]?[i]?["prompt_token_ids"] == [5, 6, 7])
                #expect(body["choices"]?[i]?["token_ids"] == .array(generated))
            }
            let (_, plain, _) = try await client.post("/v1/completions", #"{"prompt":[5,6,7]}"#)
            #expect(plain["choices"]?[0]?["token_ids"] == nil && plain["choices"]?[0]?["prompt_token_ids"] == nil)
            let (_, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":[5,6,7],"stream":true,"return_token_ids":true}"#)
            let chunks = events(text).events.compactMap { $0["choices"]?[0] }
            #expect(chunks.first?["prompt_token_ids"] == [5, 6, 7])
            #expect(chunks.dropFirst().allSatisfy { $0["prompt_token_ids"] == nil })
            #expect(chunks.flatMap { $0["token_ids"]?.arrayValue ?? [] } == generated)
        }
    }

    @Test("every sampling parameter reaches the engine with vLLM's meaning")
    func parameterMapping() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let json = """
                {"prompt":"Hi","max_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":5,"min_p":0.1,"seed":42,
                 "stop":"xyz","stop_token_ids":[9],"presence_penalty":0.5,"frequency_penalty":-0.5,
                 "repetition_penalty":1.2,"logprobs":2,"logit_bias":{"5":150,"6":-3},"user":"u","min_tokens":2,
                 "include_stop_str_in_output":true,"skip_special_tokens":false,"priority":-3,"cache_salt":"t1",
                 "best_of":1,"response_format":{"type":"text"},"unknown_field":1}
                """
            let (status, _, text) = try await client.post("/v1/completions", json)
            #expect(status == .ok, "\(text)")
        }
        let request = try #require(engine.requests.first)
        let p = request.samplingParams
        #expect(p.maxTokens == 7 && p.temperature == 0.5 && p.topP == 0.9 && p.topK == 5 && p.minP == 0.1)
        #expect(p.seed == 42 && p.stop == ["xyz"] && p.minTokens == 2 && p.logprobs == 2)
        #expect(p.presencePenalty == 0.5 && p.frequencyPenalty == -0.5 && p.repetitionPenalty == 1.2)
        #expect(p.logitBias == [5: 100, 6: -3])
        #expect(p.includeStopStrInOutput && !p.skipSpecialTokens && !p.ignoreEOS)
        #expect(request.eosTokenID == 2 && request.priority == -3 && request.cacheSalt == "t1")
        #expect(p.stopTokenIDs == [9, 0], "the other EOS ids are merged into stop_token_ids")
        #expect(request.promptTokenIDs == FakeEngine.tokenizer.encode("Hi"))
    }

    @Test("ignore_eos sends no EOS id and merges no EOS ids into the stop tokens")
    func ignoreEOS() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            _ = try await client.post("/v1/completions", #"{"prompt":"Hi","ignore_eos":true}"#)
        }
        let request = try #require(engine.requests.first)
        #expect(request.eosTokenID == nil)
        #expect(request.samplingParams.stopTokenIDs.isEmpty && request.samplingParams.ignoreEOS)
    }

    @Test("max_tokens defaults to 16 and is clamped to what max_model_len leaves")
    func maxTokensClamp() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            _ = try await client.post("/v1/completions", #"{"prompt":[5,6,7,8]}"#)
            _ = try await client.post("/v1/completions", #"{"prompt":[5,6,7,8],"max_tokens":1000}"#)
        }
        #expect(engine.requests.map(\.samplingParams.maxTokens) == [16, 60])
    }

    @Test("n=2 fans out as two requests {i}_{id} with seed+i and returns two choices")
    func fanOut() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"prompt":"Hi","n":2,"seed":5}"#)
            #expect(status == .ok)
            #expect(body["choices"]?.arrayValue?.map { $0["index"]?.int } == [0, 1])
            #expect(body["usage"]?["prompt_tokens"]?.int == FakeEngine.tokenizer.encode("Hi").count)
            #expect(body["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.int == 3, "one prompt, counted once")
            let (_, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","n":2,"stream":true,"stream_options":{"include_usage":true}}"#)
            #expect(events(text).events.last?["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.int == 3)
        }
        let requests = engine.requests.prefix(2).sorted { $0.requestID < $1.requestID }
        #expect(engine.requests.count == 4)
        #expect(requests[0].requestID.hasPrefix("0_cmpl-") && requests[1].requestID.hasPrefix("1_cmpl-"))
        #expect(requests[0].requestID.dropFirst(2) == requests[1].requestID.dropFirst(2))
        #expect(requests.map(\.samplingParams.seed) == [5, 6])
        #expect(requests.allSatisfy { $0.samplingParams.n == 1 })
    }

    @Test("a batch of prompts gives one choice per prompt, in order")
    func batchPrompts() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"prompt":["Hi","Hello there"]}"#)
            #expect(status == .ok)
            #expect(body["choices"]?.arrayValue?.count == 2)
        }
        #expect(Set(engine.requests.map(\.promptTokenIDs.count)).count == 2)
    }

    @Test("a stop string split across tokens truncates the text, finishes with stop and aborts upstream")
    func stopString() async throws {
        let engine = FakeEngine(holdOpen: true)
        try await withAPI(engine) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"prompt":"Hi","stop":["zz","o w"]}"#)
            #expect(status == .ok)
            let choice = try #require(body["choices"]?[0])
            #expect(choice["text"] == "Hell")
            #expect(choice["finish_reason"] == "stop")
            #expect(choice["stop_reason"] == "o w")
        }
        let id = try #require(engine.requests.first?.requestID)
        #expect(engine.aborts == [id])
        #expect(await engine.wait { $0.cancelled == [id] })
    }

    @Test("include_stop_str_in_output keeps the stop string")
    func includeStopString() async throws {
        try await withAPI(FakeEngine(holdOpen: true)) { client in
            let (_, body, _) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","stop":"o w","include_stop_str_in_output":true}"#)
            #expect(body["choices"]?[0]?["text"] == "Hello w")
        }
    }

    @Test("streaming holds back len(stop)-1 characters until the request finishes")
    func streamingHoldBack() async throws {
        try await withAPI(FakeEngine()) { client in
            let (status, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","stop":"world!","stream":true}"#)
            #expect(status == .ok)
            let (events, done) = events(text)
            #expect(done)
            let chunks = events.compactMap { $0["choices"]?[0] }
            let beforeFinish = chunks.filter { $0["finish_reason"] == .null }.compactMap { $0["text"]?.stringValue }
            let ids = FakeEngine.tokenizer.encode("Hello world", addSpecialTokens: false)
            let lastTokenLength = FakeEngine.tokenizer.decode([ids.last!]).count
            #expect(beforeFinish.joined() == String("Hello world".prefix(11 - lastTokenLength - 5)))
            #expect(chunks.compactMap { $0["text"]?.stringValue }.joined() == "Hello world")
            #expect(chunks.last?["finish_reason"] == "length")
        }
    }

    @Test("streaming chunks carry text, then the finish, then usage, then [DONE]")
    func streamingShape() async throws {
        try await withAPI { client in
            let (status, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","stream":true,"stream_options":{"include_usage":true}}"#)
            #expect(status == .ok)
            let (events, done) = events(text)
            #expect(done)
            let chunks = events.dropLast()
            #expect(chunks.compactMap { $0["choices"]?[0]?["text"]?.stringValue }.joined() == "Hello world")
            #expect(chunks.last?["choices"]?[0]?["finish_reason"] == "length")
            #expect(chunks.dropLast().allSatisfy { $0["choices"]?[0]?["finish_reason"] == .null })
            #expect(events.last?["choices"] == [])
            #expect(
                events.last?["usage"]?["completion_tokens"]?.int == FakeEngine.tokenizer.encode("Hello world").count)
            #expect(events.allSatisfy { $0["object"] == "text_completion" })
        }
    }

    @Test("logprobs=2 gives tokens, token_logprobs, top_logprobs and text_offset per token")
    func logprobs() async throws {
        try await withAPI { client in
            let (_, body, _) = try await client.post("/v1/completions", #"{"prompt":"Hi","logprobs":2}"#)
            let lp = try #require(body["choices"]?[0]?["logprobs"])
            let n = FakeEngine.tokenizer.encode("Hello world").count
            #expect(lp["tokens"]?.arrayValue?.count == n)
            #expect(lp["token_logprobs"]?.arrayValue?.allSatisfy { $0.double == -0.5 } == true)
            #expect(lp["top_logprobs"]?.arrayValue?.allSatisfy { $0.objectValue?.count == 3 } == true)
            let tokens = lp["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(tokens.joined() == "Hello world")
            let offsets = lp["text_offset"]?.arrayValue?.compactMap(\.int) ?? []
            #expect(offsets.first == 0 && offsets.count == n)
            #expect(offsets.last == "Hello world".count - tokens.last!.count)
        }
    }

    @Test("x-request-id is honoured and made unique upstream")
    func requestID() async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            for _ in 0..<2 {
                let (_, body, _) = try await client.post(
                    "/v1/completions", #"{"prompt":"Hi"}"#, headers: [HTTPFields.requestIDName: "abc"])
                #expect(body["id"] == "cmpl-abc")
            }
        }
        let ids = engine.requests.map(\.requestID)
        #expect(ids.count == 2 && Set(ids).count == 2 && ids.allSatisfy { $0.hasPrefix("cmpl-abc-") })
    }
}
