/// The server's tool-calling switches, as vLLM's `--enable-auto-tool-choice`, `--tool-call-parser NAME` and
/// `--exclude-tools-when-tool-choice-none`.
///
/// Without auto tool choice, requests with `tools` (whose `tool_choice` defaults to "auto") are refused and the
/// model's text is never parsed; with it, `parser` turns the model's call syntax into `tool_calls`.
public struct ToolCallingOptions: Sendable, Equatable {
    public var enableAutoToolChoice: Bool
    public var parser: ToolCallParserName?
    /// `tool_choice: "none"` also keeps `tools` out of the chat template.
    public var excludeToolsWhenToolChoiceNone: Bool

    public init(
        enableAutoToolChoice: Bool = false, parser: ToolCallParserName? = nil,
        excludeToolsWhenToolChoiceNone: Bool = false
    ) {
        self.enableAutoToolChoice = enableAutoToolChoice
        self.parser = parser
        self.excludeToolsWhenToolChoiceNone = excludeToolsWhenToolChoiceNone
    }

    /// vLLM's start-up rule: auto tool choice needs a parser to read the calls with.
    public func validate() throws(ToolCallingOptionsError) {
        if enableAutoToolChoice, parser == nil {
            throw ToolCallingOptionsError(
                description: "--enable-auto-tool-choice requires --tool-call-parser")
        }
    }

    /// The parser that reads `tool_choice: "auto"` requests, nil while auto tool choice is off.
    var autoParser: (any ToolCallParser)? { enableAutoToolChoice ? parser?.parser : nil }
}

/// A refused combination of tool-calling flags.
public struct ToolCallingOptionsError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
