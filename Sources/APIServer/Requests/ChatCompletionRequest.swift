import ServingCore
import Tokenization

/// `POST /v1/chat/completions`, parsed: messages rendered through the model's chat template and tokenized
/// without special tokens (the template places them). `max_completion_tokens` (or `max_tokens`) defaults to the
/// rest of the context; `logprobs` is a bool and `top_logprobs` the count. vLLM's `prompt_logprobs` goes upstream
/// and comes back at the top level of a non-streaming response (a stream may only ask for 0, which returns nothing).
/// `tools` and `tool_choice` are read by `ToolFields`; earlier assistant `tool_calls` reach the template with their
/// arguments as objects, as vLLM passes them.
struct ChatCompletionRequest: Sendable {
    /// The most messages one request may carry (the template renders each; far above real conversations).
    static let maxMessages = 10_000
    var model: String?
    var plan: GenerationPlan
    /// Whether choices carry `logprobs.content`.
    var logprobs: Bool
    /// Whether the response carries `prompt_logprobs`.
    var returnsPromptLogprobs: Bool
    /// Reads tool calls out of the output; nil when this request does not parse them.
    var toolParser: (any ToolCallParser)?

    static func parse(
        _ body: JSONValue, model: ServedModel, requestID: String, toolCalling: ToolCallingOptions = .init()
    ) throws(APIError) -> ChatCompletionRequest {
        let f = try JSONFields(body)
        var params = try SamplingFields.parse(f, defaults: model.samplingDefaults)
        let tools = try ToolFields.parse(f, options: toolCalling)
        // vLLM's adjust_request: the call marker is a special token in some tokenizers.
        if tools.parser?.needsSpecialTokens == true { params.skipSpecialTokens = false }
        let wantsLogprobs = try f.bool("logprobs") ?? false
        let top = try f.int("top_logprobs")
        if let top, !wantsLogprobs, top > 0 {
            throw .badRequest("top_logprobs requires logprobs to be true", param: "top_logprobs")
        }
        if let top, top < 0 || top > SamplingParams.maxLogprobs {
            throw .badRequest(
                "top_logprobs must be in [0, \(SamplingParams.maxLogprobs)], got \(top)", param: "top_logprobs")
        }
        if wantsLogprobs { params.logprobs = top ?? 0 }
        let promptLogprobs = try SamplingFields.promptLogprobs(f)
        // A stream gets past the check only with 0, for which vLLM returns nothing: it need not go upstream.
        if try f.bool("stream") != true { params.promptLogprobs = promptLogprobs }
        var plan = GenerationPlan(
            requestID: requestID, prompts: [try render(f, model, tools: tools.tools)], params: params,
            requestedMaxTokens: try SamplingFields.maxTokens(f, keys: ["max_completion_tokens", "max_tokens"]),
            promptParam: "messages")
        try StreamFields.apply(f, to: &plan)
        if let forced = tools.constraint {
            guard plan.params.structuredOutputs == nil else {
                throw .badRequest(
                    "a tool_choice that forces calls cannot be combined with response_format or structured_outputs",
                    param: "tool_choice")
            }
            plan.params.structuredOutputs = forced
        }
        return ChatCompletionRequest(
            model: try f.string("model"), plan: plan, logprobs: wantsLogprobs,
            returnsPromptLogprobs: params.promptLogprobs != nil, toolParser: tools.parser)
    }

    private static func render(
        _ f: JSONFields, _ model: ServedModel, tools: [JSONValue]?
    ) throws(APIError) -> [TokenID] {
        guard let items = try f.array("messages") else { throw .badRequest("messages is required", param: "messages") }
        guard !items.isEmpty else { throw .badRequest("messages must not be empty", param: "messages") }
        guard items.count <= Self.maxMessages else {
            throw .badRequest("at most \(Self.maxMessages) messages, got \(items.count)", param: "messages")
        }
        guard let template = model.chatTemplate else {
            throw .badRequest("The model has no chat template; use /v1/completions", param: "messages")
        }
        let messages = try items.map { (item) throws(APIError) -> ChatMessage in try message(item) }
        let continueFinal = try f.bool("continue_final_message") ?? false
        let addGenerationPrompt = try f.bool("add_generation_prompt") ?? !continueFinal
        var extra: [String: JSONValue] = [:]
        for (key, value) in try f.object("chat_template_kwargs")?.pairs ?? [] { extra[key] = value }
        let config = model.tokenizer.config
        do {
            let text =
                continueFinal
                ? try template.renderContinuingFinalMessage(
                    messages: messages, bosToken: config?.bosToken, eosToken: config?.eosToken, tools: tools,
                    extra: extra)
                : try template.render(
                    messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: config?.bosToken,
                    eosToken: config?.eosToken, tools: tools, extra: extra)
            return model.tokenizer.encode(text, addSpecialTokens: false)
        } catch {
            throw .badRequest("The chat template failed: \(error)", param: "messages")
        }
    }

    /// One message: `content` as a string or a list of `{"type": "text", "text": …}` parts (joined by newlines).
    private static func message(_ value: JSONValue) throws(APIError) -> ChatMessage {
        let f = try JSONFields(value)
        guard let role = try f.string("role") else {
            throw .badRequest("every message needs a role", param: "messages")
        }
        var content: String?
        switch f.object["content"] {
        case .string(let s): content = s
        case .array(let parts):
            var texts: [String] = []
            for part in parts {
                let pf = try JSONFields(part)
                guard try pf.string("type") == "text", let text = try pf.string("text") else {
                    throw .badRequest("only text content parts are supported", param: "messages")
                }
                texts.append(text)
            }
            content = texts.joined(separator: "\n")
        case nil, .null: content = nil
        default: throw .badRequest("message content must be a string or a list of parts", param: "messages")
        }
        return ChatMessage(
            role: role, content: content, toolCalls: try toolCalls(f, role: role),
            toolCallID: try f.string("tool_call_id"),
            name: try f.string("name"), reasoningContent: try f.string("reasoning_content"))
    }

    /// An assistant message's `tool_calls` with each `function.arguments` JSON string parsed to its value (null or
    /// "" becomes `{}`), and an empty list dropped, as vLLM does before rendering.
    private static func toolCalls(_ f: JSONFields, role: String) throws(APIError) -> [JSONValue]? {
        guard let calls = try f.array("tool_calls") else { return nil }
        guard role == "assistant" else { return calls }
        guard !calls.isEmpty else { return nil }
        var out: [JSONValue] = []
        for call in calls {
            guard case .object(var object) = call, case .object(var function)? = object["function"] else {
                throw .badRequest("every tool call needs a function object", param: "messages")
            }
            switch function["arguments"] {
            case .string(let text) where !text.isEmpty:
                guard let value = try? JSONValue(parsing: text) else {
                    throw .badRequest("tool call arguments must be a JSON string: \(text)", param: "messages")
                }
                function["arguments"] = value
            case .object?, .array?: break
            default: function["arguments"] = .object(JSONObject())
            }
            object["function"] = .object(function)
            out.append(.object(object))
        }
        return out
    }
}
