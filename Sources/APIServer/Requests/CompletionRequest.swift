import ServingCore
import Tokenization

/// `POST /v1/completions`, parsed: the prompts (a string, a list of strings, token ids, or lists of token ids)
/// tokenized, and the plan to run. `max_tokens` defaults to 16; `logprobs` is an int.
struct CompletionRequest: Sendable {
    var model: String?
    var plan: GenerationPlan

    static func parse(_ body: JSONValue, model: ServedModel, requestID: String) throws(APIError) -> CompletionRequest {
        let f = try JSONFields(body)
        var params = try SamplingFields.parse(f)
        if let k = try f.int("logprobs") { params.logprobs = k }
        if try f.bool("echo") == true { throw .badRequest("echo is not supported", param: "echo") }
        if try f.string("suffix") != nil { throw .badRequest("suffix is not supported", param: "suffix") }
        var plan = GenerationPlan(
            requestID: requestID, prompts: try prompts(f, model.tokenizer), params: params,
            requestedMaxTokens: try SamplingFields.maxTokens(f, keys: ["max_tokens"]) ?? 16)
        try StreamFields.apply(f, to: &plan)
        return CompletionRequest(model: try f.string("model"), plan: plan)
    }

    private static func prompts(_ f: JSONFields, _ tokenizer: Tokenizer) throws(APIError) -> [[TokenID]] {
        let bad = APIError.badRequest(
            "prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids",
            param: "prompt")
        guard let value = f.object["prompt"], value != .null else {
            throw .badRequest("prompt is required", param: "prompt")
        }
        switch value {
        case .string(let s):
            return [tokenizer.encode(s, addSpecialTokens: true)]
        case .array(let items) where items.isEmpty:
            throw .badRequest("The prompt cannot be empty", param: "prompt")
        case .array(let items):
            if items.allSatisfy({ if case .int = $0 { true } else { false } }) {
                return [try ids(items, bad)]
            }
            var out: [[TokenID]] = []
            for item in items {
                switch item {
                case .string(let s): out.append(tokenizer.encode(s, addSpecialTokens: true))
                case .array(let inner): out.append(try ids(inner, bad))
                default: throw bad
                }
            }
            return out
        default:
            throw bad
        }
    }

    private static func ids(_ items: [JSONValue], _ bad: APIError) throws(APIError) -> [TokenID] {
        var out: [TokenID] = []
        for item in items {
            guard case .int(let i) = item, let id = TokenID(exactly: i) else { throw bad }
            out.append(id)
        }
        return out
    }
}
