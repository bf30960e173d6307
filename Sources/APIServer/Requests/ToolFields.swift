import ServingCore
import Tokenization

/// The tool fields of a chat request — `tools` and `tool_choice` — checked as vLLM's `ChatCompletionRequest` does,
/// and what they mean for this request: the tools the template renders and the parser (if any) that reads calls
/// out of the output.
///
/// `tool_choice` defaults to "auto" when `tools` is not empty, else "none". "auto" needs the server's auto tool
/// choice. "required" and a named function constrain the output to calls (`constraint`, a JSON schema over
/// `{"name", "parameters"}` objects, as vLLM does with structured outputs) and read it with
/// `ForcedToolCallParser`. "none" renders the tools (unless the server excludes them) and parses nothing.
struct ToolFields {
    /// The most tools one request may declare (each is rendered into the prompt and, when forced, the grammar).
    static let maxTools = 512
    var tools: [JSONValue]?
    var parser: (any ToolCallParser)?
    /// The structured-output constraint a forced tool choice puts on the output.
    var constraint: StructuredOutputsParams?

    static func parse(_ f: JSONFields, options: ToolCallingOptions) throws(APIError) -> ToolFields {
        let tools = try f.array("tools")
        if let tools, tools.count > Self.maxTools {
            throw .badRequest("at most \(Self.maxTools) tools, got \(tools.count)", param: "tools")
        }
        for (k, tool) in (tools ?? []).enumerated() { try check(tool, at: k) }
        let hasTools = !(tools ?? []).isEmpty
        switch f.object["tool_choice"] {
        case nil, .null:
            guard hasTools else { return ToolFields(tools: tools) }
            return try auto(tools, options)
        case .string("none"):
            return ToolFields(tools: options.excludeToolsWhenToolChoiceNone ? nil : tools)
        case .string(let choice) where choice == "auto" || choice == "required":
            guard tools != nil else { throw needsTools }
            if choice == "auto" { return try auto(tools, options) }
            // As vLLM (and OpenAI): "required" with an empty list behaves as "none".
            guard hasTools, let tools else { return ToolFields(tools: nil) }
            return ToolFields(
                tools: tools, parser: ForcedToolCallParser(list: true),
                constraint: ForcedToolCallParser.requiredConstraint(tools))
        case .object(let named):
            guard let tools else { throw needsTools }
            let name = try namedFunction(named)
            guard let tool = tools.first(where: { $0["function"]?["name"]?.stringValue == name }) else {
                throw .badRequest(
                    "The tool specified in `tool_choice` does not match any of the specified `tools`",
                    param: "tool_choice")
            }
            return ToolFields(
                tools: tools, parser: ForcedToolCallParser(list: false),
                constraint: ForcedToolCallParser.namedConstraint(tool))
        case let other?:
            throw .badRequest(
                #"Invalid value for `tool_choice`: \#(JSONWriter.string(other))! Only named tools, "none", "auto" or "#
                    + #""required" are supported."#, param: "tool_choice")
        }
    }

    private static func auto(
        _ tools: [JSONValue]?, _ options: ToolCallingOptions
    ) throws(APIError)
        -> ToolFields
    {
        guard let parser = options.autoParser else {
            throw .badRequest(
                #""auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set"#,
                param: "tool_choice")
        }
        return ToolFields(tools: tools, parser: parser)
    }

    private static let needsTools = APIError.badRequest(
        "When using `tool_choice`, `tools` must be set.", param: "tool_choice")

    /// `{"type": "function", "function": {"name": …}}`, worded as vLLM words its checks.
    private static func namedFunction(_ choice: JSONObject) throws(APIError) -> String {
        let usage = #"Correct usage: `{"type": "function", "function": {"name": "my_function"}}`"#
        guard case .object(let function)? = choice["function"] else {
            throw .badRequest(
                "Invalid value for `function` in `tool_choice`! \(usage)", param: "tool_choice")
        }
        guard let name = function["name"] else {
            throw .badRequest(
                "Expected field `name` in `function` in `tool_choice`! \(usage)", param: "tool_choice")
        }
        guard case .string(let s) = name, !s.isEmpty else {
            throw .badRequest(
                "Invalid `name` in `function`: `\(JSONWriter.string(name))` in `tool_choice`! \(usage)",
                param: "tool_choice")
        }
        return s
    }

    /// One tool: `{"type": "function", "function": {"name": str, "description"?: str, "parameters"?: object}}`.
    private static func check(_ tool: JSONValue, at k: Int) throws(APIError) {
        func bad(_ message: String) -> APIError {
            .badRequest("tools[\(k)]: \(message)", param: "tools")
        }
        guard case .object(let object) = tool else { throw bad("each tool must be an object") }
        if let type = object["type"], type != .string("function") {
            throw bad(#"type must be "function", got \#(JSONWriter.string(type))"#)
        }
        guard case .object(let function)? = object["function"] else {
            throw bad("function (an object) is required")
        }
        guard case .string? = function["name"] else {
            throw bad("function.name (a string) is required")
        }
        if let description = function["description"], description != .null,
            description.stringValue == nil
        {
            throw bad("function.description must be a string")
        }
        if let parameters = function["parameters"], parameters != .null, parameters.objectValue == nil {
            throw bad("function.parameters must be an object")
        }
    }
}
