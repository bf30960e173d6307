import ServingCore
import Tokenization

/// `POST /v1/completions`, parsed: the prompts (a string, a list of strings, token ids, or lists of token ids)
/// tokenized, and the plan to run. `max_tokens` defaults to 16; `logprobs` is an int.
///
/// vLLM's `echo` and `prompt_logprobs`: with `echo` the prompt texts are kept for `CompletionEcho`, upstream is
/// asked for `prompt_logprobs = logprobs` unless `prompt_logprobs` is given, and `max_tokens: 0` is allowed (the
/// prompt alone; upstream generates 1 token). Without `echo`, `max_tokens: 0` is a 400 naming it. On a stream,
/// prompt logprobs go upstream only when echoed logprobs need them (chunks never carry `prompt_logprobs`).
struct CompletionRequest: Sendable {
    var model: String?
    var plan: GenerationPlan
    var echo: CompletionEcho?
    /// Whether non-streaming choices carry `prompt_logprobs`.
    var returnsPromptLogprobs: Bool
    /// vLLM's `return_token_ids`: choices carry `prompt_token_ids` and `token_ids`.
    var returnsTokenIDs = false

    static func parse(_ body: JSONValue, model: ServedModel, requestID: String) throws(APIError) -> CompletionRequest {
        let f = try JSONFields(body)
        var params = try SamplingFields.parse(f, defaults: model.samplingDefaults)
        if let k = try f.int("logprobs") { params.logprobs = k }
        if try f.string("suffix") != nil { throw .badRequest("suffix is not supported", param: "suffix") }
        let echoes = try f.bool("echo") ?? false
        let stream = try f.bool("stream") ?? false
        params.promptLogprobs = try SamplingFields.promptLogprobs(f) ?? (echoes ? params.logprobs : nil)
        if stream, !(echoes && params.logprobs != nil) { params.promptLogprobs = nil }
        let requestedMaxTokens = try f.int("max_tokens")
        let generates = !(echoes && requestedMaxTokens == 0)
        var maxTokens = 1
        if generates { maxTokens = try SamplingFields.maxTokens(f, keys: ["max_tokens"]) ?? 16 }
        let prompts = try prompts(f, model.tokenizer)
        var plan = GenerationPlan(
            requestID: requestID, prompts: prompts.map(\.ids), params: params, requestedMaxTokens: maxTokens)
        try StreamFields.apply(f, to: &plan)
        let echo =
            echoes
            ? CompletionEcho(
                promptTexts: prompts.map { $0.text ?? model.tokenizer.decode($0.ids, skipSpecialTokens: false) },
                promptTokenIDs: prompts.map(\.ids), choicesPerPrompt: params.n, generates: generates) : nil
        return CompletionRequest(
            model: try f.string("model"), plan: plan, echo: echo, returnsPromptLogprobs: params.promptLogprobs != nil,
            returnsTokenIDs: try f.bool("return_token_ids") ?? false)
    }

    /// Each prompt's ids, and its text when it was sent as a string.
    private static func prompts(
        _ f: JSONFields, _ tokenizer: Tokenizer
    ) throws(APIError) -> [(ids: [TokenID], text: String?)] {
        let bad = APIError.badRequest(
            "prompt must be a string, a list of strings, a list of token ids or a list of lists of token ids",
            param: "prompt")
        guard let value = f.object["prompt"], value != .null else {
            throw .badRequest("prompt is required", param: "prompt")
        }
        switch value {
        case .string(let s):
            return [(tokenizer.encode(s, addSpecialTokens: true), s)]
        case .array(let items) where items.isEmpty:
            throw .badRequest("The prompt cannot be empty", param: "prompt")
        case .array(let items):
            if items.allSatisfy({ if case .int = $0 { true } else { false } }) {
                return [(try ids(items, bad), nil)]
            }
            var out: [(ids: [TokenID], text: String?)] = []
            for item in items {
                switch item {
                case .string(let s): out.append((tokenizer.encode(s, addSpecialTokens: true), s))
                case .array(let inner): out.append((try ids(inner, bad), nil))
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
