/// The `--tool-call-parser` values Apus implements, each naming its `ToolCallParser`.
public enum ToolCallParserName: String, Sendable, CaseIterable {
    case hermes
    case llama3JSON = "llama3_json"
    case mistral

    var parser: any ToolCallParser {
        switch self {
        case .hermes: HermesToolParser()
        case .llama3JSON: Llama3JSONToolParser()
        case .mistral: MistralToolParser()
        }
    }
}
