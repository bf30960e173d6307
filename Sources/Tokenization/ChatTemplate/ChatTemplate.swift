import Foundation

/// A compiled Hugging Face chat template (the `chat_template` of `tokenizer_config.json`), rendering a conversation
/// into the prompt text exactly as transformers' `apply_chat_template(..., tokenize=False)` does.
///
/// Implements the Jinja subset real chat templates use (see `TemplateParser`, `TemplateInterpreter`) with
/// transformers' environment: `trim_blocks`, `lstrip_blocks`, loop controls, `tojson` as
/// `json.dumps(ensure_ascii=False)`, `raise_exception`, `strftime_now`. A construct outside the subset fails in
/// `init` or `render` with a `ChatTemplateError` of kind `.unsupported` naming it — never with a wrong render.
public struct ChatTemplate: Sendable {
    public let source: String
    private let nodes: [TemplateNode]

    /// Parses `source`; throws `.syntax` for invalid Jinja and `.unsupported` for tags, filters or tests this
    /// interpreter does not implement.
    public init(_ source: String) throws {
        self.source = source
        self.nodes = try TemplateParser.parse(source)
        try TemplateValidator.validate(nodes)
    }

    /// Renders a conversation.
    ///
    /// The template sees `messages` (see `ChatMessage` for the dict shape), `tools` (none when nil), `documents`
    /// (none unless `extra` has it), `add_generation_prompt`, `bos_token` / `eos_token` when given, and every entry
    /// of `extra` (e.g. `date_string`, `tools_in_user_message`, `enable_thinking`); `extra` may override the special
    /// tokens but not `messages`, `tools` or `add_generation_prompt`. Throws `ChatTemplateError` (`.raised` carries
    /// the template's `raise_exception` message).
    public func render(
        messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String?, eosToken: String?,
        tools: [JSONValue]? = nil, extra: [String: JSONValue] = [:]
    ) throws -> String {
        try render(
            messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken, eosToken: eosToken,
            tools: tools, extra: extra, now: Date())
    }

    /// `render` with the clock `strftime_now` reads passed in (formatted in UTC), for deterministic renders.
    public func render(
        messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String?, eosToken: String?,
        tools: [JSONValue]?, extra: [String: JSONValue], now: Date
    ) throws -> String {
        var variables: [String: TemplateValue] = [:]
        if let bosToken { variables["bos_token"] = .string(bosToken) }
        if let eosToken { variables["eos_token"] = .string(eosToken) }
        for (name, value) in extra { variables[name] = TemplateValue(value) }
        variables["messages"] = .list(messages.map { TemplateValue(.object($0.templateObject)) })
        variables["tools"] = tools.map { TemplateValue(.array($0)) } ?? TemplateValue.none
        if variables["documents"] == nil { variables["documents"] = TemplateValue.none }
        variables["add_generation_prompt"] = .bool(addGenerationPrompt)
        do {
            return try TemplateInterpreter(variables: variables, now: now).render(nodes)
        } catch let error as ChatTemplateError {
            throw error
        } catch {
            throw ChatTemplateError(.runtime, "internal error while rendering: \(error)")
        }
    }
}
