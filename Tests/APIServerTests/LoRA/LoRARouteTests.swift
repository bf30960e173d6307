import APIServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import Tokenization

@Suite("LoRA adapters through the api: selection by model, /v1/models, load and unload as vLLM")
struct LoRARouteTests {
    /// A validator that refuses directories named `bad-*`, as the real one refuses bad adapter files.
    static let validator: LoRAAdapters.Validator = { path in
        if URL(fileURLWithPath: path).lastPathComponent.hasPrefix("bad") {
            throw ValidationFailure(message: "lora_A of q_proj has rank 64; --max-lora-rank is 16")
        }
    }

    struct ValidationFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Two adapter directories (`good`, `bad-rank`) that exist for the test's duration.
    func withAdapterDirectories(_ body: (URL) async throws -> Void) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("apus-lora-\(UUID().uuidString)")
        for name in ["good", "other", "bad-rank"] {
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        try await body(root)
    }

    @Test("a served adapter is listed with its parent, selected by model, and named in the response")
    func selectByModel() async throws {
        try await withAdapterDirectories { root in
            let loras = LoRAAdapters(validate: Self.validator)
            let good = root.appendingPathComponent("good").path
            try loras.load(name: "sql", path: good, parent: "tiny")
            let engine = FakeEngine()
            try await withAPI(engine, loras: loras) { client in
                try await client.execute(uri: "/v1/models", method: .get) { response in
                    let body = try JSONValue(parsing: String(buffer: response.body))
                    #expect(body["data"]?[0]?["id"] == "tiny" && body["data"]?[0]?["parent"] == .null)
                    #expect(body["data"]?[1]?["id"] == "sql")
                    #expect(body["data"]?[1]?["parent"] == "tiny")
                    #expect(body["data"]?[1]?["root"] == .string(good))
                }
                let (status, body, _) = try await client.post(
                    "/v1/completions", #"{"model":"sql","prompt":"Hi","max_tokens":2}"#)
                #expect(status == .ok && body["model"] == "sql")
                let (chatStatus, chat, _) = try await client.post(
                    "/v1/chat/completions", #"{"model":"tiny","messages":[{"role":"user","content":"Hi"}]}"#)
                #expect(chatStatus == .ok && chat["model"] == "tiny")
                let (tokenizeStatus, _, _) = try await client.post("/tokenize", #"{"model":"sql","prompt":"Hi"}"#)
                #expect(tokenizeStatus == .ok)
            }
            let sent = engine.requests
            #expect(sent.count == 2)
            #expect(sent[0].loraName == "sql" && sent[0].loraPath == good)
            #expect(sent[1].loraName.isEmpty && sent[1].loraPath.isEmpty)
        }
    }

    @Test("an unknown model is vLLM's 404 naming the model parameter, and nothing reaches the engine")
    func unknownModel() async throws {
        let engine = FakeEngine()
        try await withAPI(engine, loras: LoRAAdapters(validate: Self.validator)) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"model":"nope","prompt":"Hi"}"#)
            #expect(status == .notFound)
            #expect(body["error"]?["message"] == "The model `nope` does not exist.")
            #expect(body["error"]?["type"] == "NotFoundError" && body["error"]?["param"] == "model")
        }
        #expect(engine.requests.isEmpty)
    }

    @Test("load and unload at run time: each refusal has vLLM's status and message")
    func loadAndUnload() async throws {
        try await withAdapterDirectories { root in
            let good = root.appendingPathComponent("good").path
            let engine = FakeEngine()
            let loras = LoRAAdapters(validate: Self.validator)
            try await withAPI(engine, loras: loras, allowRuntimeLoRAUpdating: true) { client in
                func load(_ json: String) async throws -> (HTTPResponse.Status, String) {
                    let (status, body, text) = try await client.post("/v1/load_lora_adapter", json)
                    return (status, body["error"]?["message"]?.stringValue ?? text)
                }
                var (status, message) = try await load(#"{"lora_name":"sql","lora_path":"\#(good)"}"#)
                #expect(status == .ok && message == "Success: LoRA adapter 'sql' added successfully.")
                (status, message) = try await load(#"{"lora_name":"sql"}"#)
                #expect(status == .badRequest && message == "Both 'lora_name' and 'lora_path' must be provided.")
                (status, message) = try await load(#"{"lora_name":"tiny","lora_path":"\#(good)"}"#)
                #expect(status == .badRequest && message == "The lora adapter 'tiny' conflicts with a served base model.")
                (status, message) = try await load(#"{"lora_name":"sql","lora_path":"\#(good)"}"#)
                #expect(status == .badRequest && message.hasPrefix("The lora adapter 'sql' has already been loaded."))
                let other = root.appendingPathComponent("other").path
                (status, _) = try await load(#"{"lora_name":"sql","lora_path":"\#(other)","load_inplace":true}"#)
                #expect(status == .ok)
                let missing = root.appendingPathComponent("missing").path
                (status, message) = try await load(#"{"lora_name":"x","lora_path":"\#(missing)"}"#)
                #expect(status == .notFound && message == "Loading lora x failed: No adapter found for \(missing)")
                let bad = root.appendingPathComponent("bad-rank").path
                (status, message) = try await load(#"{"lora_name":"y","lora_path":"\#(bad)"}"#)
                #expect(status == .badRequest)
                #expect(message == "Loading lora y failed: lora_A of q_proj has rank 64; --max-lora-rank is 16")

                _ = try await client.post("/v1/completions", #"{"model":"sql","prompt":"Hi","max_tokens":1}"#)
                let (unloaded, _, text) = try await client.post("/v1/unload_lora_adapter", #"{"lora_name":"sql"}"#)
                #expect(unloaded == .ok && text == "Success: LoRA adapter 'sql' removed successfully.")
                let (again, body, _) = try await client.post("/v1/unload_lora_adapter", #"{"lora_name":"sql"}"#)
                #expect(again == .notFound && body["error"]?["message"] == "The lora adapter 'sql' cannot be found.")
                let (gone, _, _) = try await client.post("/v1/completions", #"{"model":"sql","prompt":"Hi"}"#)
                #expect(gone == .notFound)
            }
            #expect(engine.requests.map(\.loraPath) == [root.appendingPathComponent("other").path])
        }
    }

    @Test("without LoRA on the engine every load is refused naming the flag; without runtime updating the routes do not exist")
    func disabled() async throws {
        try await withAdapterDirectories { root in
            let good = root.appendingPathComponent("good").path
            try await withAPI(allowRuntimeLoRAUpdating: true) { client in
                let (status, body, _) = try await client.post(
                    "/v1/load_lora_adapter", #"{"lora_name":"sql","lora_path":"\#(good)"}"#)
                #expect(status == .badRequest)
                #expect(body["error"]?["message"]?.stringValue?.contains("--enable-lora") == true)
            }
            try await withAPI(loras: LoRAAdapters(validate: Self.validator)) { client in
                let (status, _, _) = try await client.post(
                    "/v1/load_lora_adapter", #"{"lora_name":"sql","lora_path":"\#(good)"}"#)
                #expect(status == .notFound)
            }
        }
    }
}
