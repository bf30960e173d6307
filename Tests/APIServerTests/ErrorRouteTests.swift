import Hummingbird
import HummingbirdTesting
import ServingCore
import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("OpenAI-shaped errors")
struct ErrorRouteTests {
    /// Expects an error body `{"error": {"message", "type", "param", "code"}}` with `status` and `param`.
    func expectError(
        _ client: any TestClientProtocol, _ uri: String, _ json: String, _ status: HTTPResponse.Status,
        param: String?, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let (got, body, text) = try await client.post(uri, json, headers: headers)
        #expect(got == status, "\(text)", sourceLocation: sourceLocation)
        let error = body["error"]
        #expect(error?["code"]?.int == status.code, sourceLocation: sourceLocation)
        #expect(error?["param"] == (param.map(JSONValue.string) ?? .null), "\(text)", sourceLocation: sourceLocation)
        #expect(error?["type"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        return error?["message"]?.stringValue ?? ""
    }

    @Test(
        "a sampling parameter out of range is a 400 naming it",
        arguments: [
            (#""temperature":3"#, "temperature"), (#""top_p":0"#, "top_p"), (#""top_k":-3"#, "top_k"),
            (#""min_p":2"#, "min_p"), (#""presence_penalty":3"#, "presence_penalty"),
            (#""frequency_penalty":-3"#, "frequency_penalty"), (#""repetition_penalty":0"#, "repetition_penalty"),
            (#""max_tokens":0"#, "max_tokens"), (#""logprobs":21"#, "logprobs"), (#""n":0"#, "n"),
            (#""min_tokens":20"#, "min_tokens"), (#""stop":[""]"#, "stop"), (#""logit_bias":{"9999":1}"#, "logit_bias"),
            (#""stop_token_ids":[100000]"#, "stop_token_ids"), (#""best_of":3"#, "best_of"),
            (#""response_format":{"type":"json_schema"}"#, "response_format"),
            ("\"stop\":[" + (0..<257).map { "\"s\($0)\"" }.joined(separator: ",") + "]", "stop"),
            ("\"stop_token_ids\":[" + (0..<1025).map { _ in "3" }.joined(separator: ",") + "]", "stop_token_ids"),
            (#""response_format":{"type":"xml"}"#, "response_format"),
            (#""structured_outputs":{"regex":"a+","choice":["b"]}"#, "structured_outputs"),
            (#""structured_outputs":{}"#, "structured_outputs"), (#""structured_outputs":{"regex":""}"#, "structured_outputs"),
            (#""structured_outputs":{"choice":["a",1]}"#, "structured_outputs"),
            (#""structured_outputs":{"regex":"a","whitespace_pattern":" "}"#, "structured_outputs"),
            (#""structured_outputs":{"choice":["a"],"disable_any_whitespace":true}"#, "structured_outputs"),
            (
                #""structured_outputs":{"grammar":"root ::= \"a\"","disable_additional_properties":true}"#,
                "structured_outputs"
            ),
            (
                #""structured_outputs":{"json":{},"whitespace_pattern":" ","disable_any_whitespace":true}"#,
                "structured_outputs"
            ),
            (#""structured_outputs":{"json_object":true,"whitespace_pattern":1}"#, "whitespace_pattern"),
            (#""response_format":{"type":"json_object"},"structured_outputs":{"regex":"a"}"#, "structured_outputs"),
            (#""stream_options":{}"#, "stream_options"), (#""top_k":"x""#, "top_k"), (#""n":2,"temperature":0"#, "n"),
            (#""n":1000000,"temperature":1"#, "n"), (#""n":129,"temperature":1"#, "n"),
        ])
    func badParameter(field: String, param: String) async throws {
        let engine = FakeEngine()
        try await withAPI(engine) { client in
            _ = try await expectError(
                client, "/v1/completions", #"{"prompt":"Hi","# + field + "}", .badRequest, param: param)
        }
        #expect(engine.requests.isEmpty)
    }

    @Test("invalid JSON is a 400")
    func invalidJSON() async throws {
        try await withAPI { client in
            _ = try await expectError(client, "/v1/completions", #"{"prompt": "#, .badRequest, param: nil)
            _ = try await expectError(client, "/v1/chat/completions", "[1,2]", .badRequest, param: nil)
        }
    }

    @Test("a prompt longer than the model allows is a 400 that says the lengths")
    func promptTooLong() async throws {
        try await withAPI { client in
            let ids = (0..<80).map { String(5 + $0 % 50) }.joined(separator: ",")
            let message = try await expectError(
                client, "/v1/completions", #"{"prompt":[\#(ids)]}"#, .badRequest, param: "prompt")
            #expect(message.contains("64") && message.contains("80"))
        }
    }

    @Test("an empty prompt and out-of-vocabulary prompt ids are 400s")
    func badPrompts() async throws {
        try await withAPI { client in
            _ = try await expectError(client, "/v1/completions", #"{"prompt":""}"#, .badRequest, param: "prompt")
            _ = try await expectError(client, "/v1/completions", #"{"prompt":[1,99999]}"#, .badRequest, param: "prompt")
            _ = try await expectError(
                client, "/v1/chat/completions", #"{"messages":[]}"#, .badRequest, param: "messages")
        }
    }

    @Test("with --api-key a missing or wrong Bearer key is a 401; the right one passes")
    func apiKey() async throws {
        try await withAPI(apiKey: "sekrit") { client in
            _ = try await expectError(client, "/v1/completions", #"{"prompt":"Hi"}"#, .unauthorized, param: nil)
            _ = try await expectError(
                client, "/v1/completions", #"{"prompt":"Hi"}"#, .unauthorized, param: nil,
                headers: [.authorization: "Bearer wrong"])
            let (status, _, _) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi"}"#, headers: [.authorization: "Bearer sekrit"])
            #expect(status == .ok)
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("an unknown model is a 404")
    func unknownModel() async throws {
        try await withAPI { client in
            _ = try await expectError(
                client, "/v1/completions", #"{"model":"gpt-9","prompt":"Hi"}"#, .notFound, param: "model")
        }
    }

    @Test("an unreachable upstream is a 503")
    func upstreamDown() async throws {
        let port = try await {
            let server = RPCServer(
                host: "127.0.0.1", port: 0, identity: .init(service: "gone"), handlers: RPCHandlers())
            let task = Task { try await server.run() }
            let port = try await server.boundAddress().port!
            task.cancel()
            try await Task.sleep(for: .milliseconds(200))
            return port
        }()
        try await withAPI(upstreamPort: port) { client in
            _ = try await expectError(client, "/v1/completions", #"{"prompt":"Hi"}"#, .serviceUnavailable, param: nil)
        }
    }

    @Test("after the upstream comes back on its address, the api reconnects (with backoff) and serves again")
    func reconnect() async throws {
        let engine = FakeEngine()
        let first = RPCServer(
            host: "127.0.0.1", port: 0, identity: .init(service: "engine-core"), handlers: engine.handlers)
        let firstTask = Task { try await first.run() }
        let port = try await first.boundAddress().port!
        try await withAPI(upstreamPort: port) { client in
            #expect(try await client.post("/v1/completions", #"{"prompt":"Hi"}"#).0 == .ok)
            firstTask.cancel()
            // Polled: the api notices the lost upstream when its connection closes.
            var status = HTTPResponse.Status.ok
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                status = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#).0
                if status == .serviceUnavailable { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(status == .serviceUnavailable)
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .serviceUnavailable) }
            let second = RPCServer(
                host: "127.0.0.1", port: port, identity: .init(service: "engine-core"), handlers: engine.handlers)
            let secondTask = Task { try await second.run() }
            defer { secondTask.cancel() }
            _ = try await second.boundAddress()
            status = .serviceUnavailable
            let end = ContinuousClock.now + .seconds(5)
            while status != .ok, ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(50))
                status = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#).0
            }
            #expect(status == .ok)
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("an upstream that refuses with UNAVAILABLE is a 503")
    func upstreamUnavailable() async throws {
        try await withAPI(FakeEngine(failure: RPCError(.unavailable, "draining"))) { client in
            _ = try await expectError(client, "/v1/completions", #"{"prompt":"Hi"}"#, .serviceUnavailable, param: nil)
        }
    }

    @Test("an upstream full for capacity (RESOURCE_EXHAUSTED) is a 429 with Retry-After, streaming or not")
    func upstreamOverloaded() async throws {
        try await withAPI(FakeEngine(failure: RPCError(.resourceExhausted, "queue full"))) { client in
            for json in [#"{"prompt":"Hi"}"#, #"{"prompt":"Hi","stream":true}"#] {
                try await client.execute(uri: "/v1/completions", method: .post, body: ByteBuffer(string: json)) {
                    #expect($0.status == .tooManyRequests)
                    #expect($0.headers[.retryAfter] == "1")
                    let error = try JSONValue(parsing: String(buffer: $0.body))["error"]
                    #expect(error?["type"] == "rate_limit_exceeded" && error?["code"]?.int == 429)
                    #expect(error?["message"]?.stringValue?.contains("queue full") == true)
                }
            }
            _ = try await expectError(
                client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"stream":true}"#,
                .tooManyRequests, param: nil)
        }
    }

    @Test("a refusal is known before a stream's headers: UNAVAILABLE on a stream is a 503 too")
    func streamingUnavailable() async throws {
        try await withAPI(FakeEngine(failure: RPCError(.unavailable, "draining"))) { client in
            _ = try await expectError(
                client, "/v1/completions", #"{"prompt":"Hi","stream":true}"#, .serviceUnavailable, param: nil)
        }
    }

    @Test("an engine-side error finish is a 500, or an error event before [DONE] when streaming")
    func engineError() async throws {
        let engine = FakeEngine { _ in [FakeEngine.Step(tokens: [67], finish: .error, error: "runner lost")] }
        try await withAPI(engine) { client in
            let message = try await expectError(
                client, "/v1/completions", #"{"prompt":"Hi"}"#, .internalServerError, param: nil)
            #expect(message.contains("runner lost"))
            let (status, _, text) = try await client.post("/v1/completions", #"{"prompt":"Hi","stream":true}"#)
            #expect(status == .ok)
            let (events, done) = events(text)
            #expect(done)
            #expect(events.last?["error"]?["code"]?.int == 500)
        }
    }

    @Test("a body over the limit is a 413 that closes the connection, and nothing reaches the engine")
    func bodyTooLarge() async throws {
        let engine = FakeEngine()
        try await withAPI(engine, limits: HTTPLimits(maxBodyBytes: 2048)) { client in
            let prompt = String(repeating: "a", count: 4096)
            try await client.execute(
                uri: "/v1/completions", method: .post, body: ByteBuffer(string: #"{"prompt":""# + prompt + #""}"#)
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.connection] == "close")
                let body = try JSONValue(parsing: String(buffer: response.body))
                #expect(body["error"]?["code"]?.int == 413)
                #expect(body["error"]?["message"]?.stringValue?.contains("2048 bytes") == true)
            }
            let (status, _, _) = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#)
            #expect(status == .ok)
        }
        #expect(engine.requests.count == 1)
    }

    @Test("limits out of range are refused up front with the allowed range")
    func badLimits() {
        #expect(throws: HTTPLimitsError.self) { try HTTPLimits(maxBodyBytes: 10).validate() }
        #expect(throws: HTTPLimitsError.self) { try HTTPLimits(requestReadTimeout: .zero).validate() }
        #expect(throws: HTTPLimitsError.self) { try HTTPLimits(maxConnections: 0).validate() }
        #expect(throws: Never.self) { try HTTPLimits().validate() }
    }
}
