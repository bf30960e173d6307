import Hummingbird
import ServingCore
import Tokenization

extension APIServer {
    /// `POST /tokenize` (vLLM's shape): `{"prompt"}` or `{"messages"}` → `{"count", "max_model_len", "tokens"}`.
    func tokenize(_ request: Request) async throws -> Response {
        let body = try await jsonBody(request)
        let f = try JSONFields(body)
        _ = try resolve(model: try f.string("model"))
        let tokens: [TokenID]
        if f.has("messages") {
            var chatBody = f.object
            if chatBody["add_generation_prompt"] == nil { chatBody["add_generation_prompt"] = true }
            tokens = try ChatCompletionRequest.parse(.object(chatBody), model: model, requestID: "tokenize")
                .plan.prompts[0]
        } else {
            guard let prompt = try f.string("prompt") else {
                throw APIError.badRequest("prompt (a string) or messages is required", param: "prompt")
            }
            tokens = model.tokenizer.encode(prompt, addSpecialTokens: try f.bool("add_special_tokens") ?? true)
        }
        var out: JSONObject = [
            "count": .int(tokens.count), "max_model_len": .int(model.maxModelLen),
            "tokens": .array(tokens.map { .int(Int($0)) }),
        ]
        if try f.bool("return_token_strs") == true {
            out["token_strs"] = .array(tokens.map { .string(model.tokenizer.idToToken($0) ?? "") })
        }
        return JSONResponse.make(.object(out))
    }

    /// `POST /detokenize` (vLLM's shape): `{"tokens": [ids]}` → `{"prompt": text}`.
    func detokenize(_ request: Request) async throws -> Response {
        let f = try JSONFields(try await jsonBody(request))
        _ = try resolve(model: try f.string("model"))
        guard let ids = try f.ints("tokens") else { throw APIError.badRequest("tokens is required", param: "tokens") }
        let tokens = try SamplingFields.tokenIDs(ids, "tokens")
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= model.vocabSize }) {
            throw APIError.badRequest("Token id \(bad) is out of vocabulary (size \(model.vocabSize))", param: "tokens")
        }
        return JSONResponse.make(["prompt": .string(model.tokenizer.decode(tokens, skipSpecialTokens: false))])
    }
}
