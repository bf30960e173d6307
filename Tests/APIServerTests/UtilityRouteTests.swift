import HummingbirdTesting
import Testing
import Tokenization

@testable import APIServer

@Suite("models, tokenize, detokenize, health, version, metrics")
struct UtilityRouteTests {
    @Test("/v1/models lists the served model with its max_model_len")
    func models() async throws {
        try await withAPI { client in
            try await client.execute(uri: "/v1/models", method: .get) { response in
                let body = try JSONValue(parsing: String(buffer: response.body))
                #expect(body["data"]?[0]?["id"] == "tiny")
                #expect(body["data"]?[0]?["max_model_len"]?.int == 64)
            }
        }
    }

    @Test("/tokenize and /detokenize round-trip text, and /tokenize renders messages")
    func tokenizeRoundTrip() async throws {
        try await withAPI { client in
            let (_, tokens, _) = try await client.post("/tokenize", #"{"prompt":"Hello world"}"#)
            let ids = tokens["tokens"]?.arrayValue ?? []
            #expect(tokens["count"]?.int == ids.count && tokens["max_model_len"]?.int == 64)
            let (_, text, _) = try await client.post("/detokenize", JSONWriter.string(["tokens": .array(ids)]))
            #expect(text["prompt"] == "Hello world")
            let (_, chat, _) = try await client.post("/tokenize", #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(chat["tokens"]?[0]?.int == 1, "the chat template starts with <|im_start|>")
        }
    }

    @Test("/health, /version and /metrics with vLLM's metric names after a request")
    func healthVersionMetrics() async throws {
        try await withAPI { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/version", method: .get) { response in
                #expect(String(buffer: response.body).contains("version"))
            }
            _ = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#)
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                for name in [
                    "vllm:time_to_first_token_seconds_bucket", "vllm:e2e_request_latency_seconds_count",
                    "vllm:inter_token_latency_seconds_count", "vllm:prompt_tokens_total",
                    "vllm:generation_tokens_total",
                    #"vllm:request_success_total{model_name="tiny",finished_reason="length"} 1"#,
                ] {
                    #expect(text.contains(name), "missing \(name)")
                }
            }
        }
    }
}
