import Hummingbird
import ServingCore

extension APIServer {
    /// What a request's `model` names: the base model (nil, also when absent) or a served LoRA adapter; anything
    /// else is vLLM's 404 `The model … does not exist.`
    func resolve(model name: String?) throws(APIError) -> LoRARequest? {
        guard let name, !model.names.contains(name) else { return nil }
        guard let adapter = loras.adapter(named: name) else {
            throw .notFound("The model `\(name)` does not exist.", param: "model")
        }
        return LoRARequest(name: adapter.name, path: adapter.path)
    }

    /// `POST /v1/load_lora_adapter` `{"lora_name", "lora_path", "load_inplace"?}` (vLLM's endpoint and messages).
    func loadLoRAAdapter(_ request: Request) async throws -> Response {
        let f = try JSONFields(try await jsonBody(request))
        let name = try f.string("lora_name") ?? ""
        let path = try f.string("lora_path") ?? ""
        guard !name.isEmpty, !path.isEmpty else {
            throw APIError.badRequest("Both 'lora_name' and 'lora_path' must be provided.")
        }
        guard !model.names.contains(name) else {
            throw APIError.badRequest("The lora adapter '\(name)' conflicts with a served base model.")
        }
        let replace = try f.bool("load_inplace") ?? false
        do {
            try loras.load(name: name, path: path, parent: model.name, replace: replace)
        } catch {
            throw error.apiError
        }
        return Self.text("Success: LoRA adapter '\(name)' added successfully.")
    }

    /// `POST /v1/unload_lora_adapter` `{"lora_name"}`: 404 when no such adapter is served.
    func unloadLoRAAdapter(_ request: Request) async throws -> Response {
        let f = try JSONFields(try await jsonBody(request))
        guard let name = try f.string("lora_name"), !name.isEmpty else {
            throw APIError.badRequest("'lora_name' needs to be provided to unload a LoRA adapter.")
        }
        guard loras.unload(name: name) else {
            throw APIError.notFound("The lora adapter '\(name)' cannot be found.")
        }
        return Self.text("Success: LoRA adapter '\(name)' removed successfully.")
    }

    private static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: .init(string: body)))
    }
}
