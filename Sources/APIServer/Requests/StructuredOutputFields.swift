import ServingCore
import Tokenization

/// `response_format` (OpenAI) and `structured_outputs` (vLLM) → one `StructuredOutputsParams`
/// (docs/architecture.md §6.5). Shapes are checked here; whether a schema, regex or grammar compiles is the
/// engine-core's answer (a 400 naming the problem). Nothing is ever silently left unconstrained: a field Apus does
/// not support is a 400.
enum StructuredOutputFields {
    static func parse(_ f: JSONFields) throws(APIError) -> StructuredOutputsParams? {
        let format = try responseFormat(f)
        let vllm = try structuredOutputs(f)
        if format != nil && vllm != nil {
            throw .badRequest(
                "use either response_format or structured_outputs, not both", param: "structured_outputs")
        }
        return format ?? vllm
    }

    /// `{"type": "text" | "json_object" | "json_schema", "json_schema": {"name", "schema", "strict"}}`.
    private static func responseFormat(_ f: JSONFields) throws(APIError) -> StructuredOutputsParams? {
        guard let format = try f.object("response_format") else { return nil }
        let fields = try JSONFields(.object(format))
        switch try fields.string("type") {
        case "text": return nil
        case "json_object": return StructuredOutputsParams(kind: .jsonObject)
        case "json_schema":
            guard let wrapper = try fields.object("json_schema") else {
                throw .badRequest("response_format of type json_schema needs a json_schema object", param: "response_format")
            }
            guard let schema = wrapper["schema"], schema != .null else {
                throw .badRequest("response_format.json_schema needs a schema", param: "response_format")
            }
            return try jsonSchema(schema, param: "response_format")
        case let other:
            throw .badRequest(
                "response_format type \(other.map { "'\($0)'" } ?? "(missing)") is not supported; use text, "
                    + "json_object or json_schema", param: "response_format")
        }
    }

    /// vLLM's `{"json" | "regex" | "choice" | "grammar" | "json_object", "disable_any_whitespace",
    /// "disable_additional_properties", "whitespace_pattern"}`: exactly one constraint. The options apply to `json` and
    /// `json_object` only (`StructuredOutputsParams.validate`); whether a whitespace pattern compiles is the
    /// engine-core's answer, like the other regexes.
    private static func structuredOutputs(_ f: JSONFields) throws(APIError) -> StructuredOutputsParams? {
        guard let object = try f.object("structured_outputs") else { return nil }
        let fields = try JSONFields(.object(object))
        let param = "structured_outputs"
        let constraints = ["json", "regex", "choice", "grammar", "json_object", "structural_tag"].filter {
            fields.has($0) && !($0 == "json_object" && object[$0] == .bool(false))
        }
        guard constraints.count == 1 else {
            throw .badRequest(
                "structured_outputs needs exactly one of json, regex, choice, grammar or json_object, got "
                    + (constraints.isEmpty ? "none" : constraints.joined(separator: ", ")), param: param)
        }
        var params: StructuredOutputsParams
        switch constraints[0] {
        case "json":
            params = try jsonSchema(object["json"]!, param: param)
        case "regex":
            params = StructuredOutputsParams(kind: .regex, spec: try fields.string("regex")!)
        case "choice":
            guard let choices = try fields.array("choice") else { throw .badRequest("choice must be a list", param: param) }
            var strings: [String] = []
            for choice in choices {
                guard case .string(let s) = choice else {
                    throw .badRequest("every choice must be a string", param: param)
                }
                strings.append(s)
            }
            params = StructuredOutputsParams(kind: .choice, choice: strings)
        case "grammar":
            params = StructuredOutputsParams(kind: .grammar, spec: try fields.string("grammar")!)
        case "json_object":
            guard try fields.bool("json_object") == true else {
                throw .badRequest("json_object must be true", param: param)
            }
            params = StructuredOutputsParams(kind: .jsonObject)
        default:
            throw .badRequest("structural_tag is not supported", param: param)
        }
        params.disableAnyWhitespace = try fields.bool("disable_any_whitespace") ?? false
        params.disableAdditionalProperties = try fields.bool("disable_additional_properties") ?? false
        if let pattern = try fields.string("whitespace_pattern") {
            // The wire has no "set but empty": an empty pattern allows no whitespace, which is the other option.
            if pattern.isEmpty { params.disableAnyWhitespace = true } else { params.whitespacePattern = pattern }
        }
        return params
    }

    /// A schema given as an object (or, for vLLM's `json`, as JSON text) → its compact JSON text, key order kept.
    private static func jsonSchema(_ schema: JSONValue, param: String) throws(APIError) -> StructuredOutputsParams {
        switch schema {
        case .object, .bool:
            return StructuredOutputsParams(kind: .json, spec: JSONWriter.string(schema))
        case .string(let text):
            guard let parsed = try? JSONValue(parsing: text), case .object = parsed else {
                throw .badRequest("the JSON schema must be a JSON object", param: param)
            }
            return StructuredOutputsParams(kind: .json, spec: JSONWriter.string(parsed))
        default:
            throw .badRequest("the JSON schema must be a JSON object", param: param)
        }
    }
}
