/// What a structured-output request constrains its output to; with the vocabulary, the key a compiled grammar is
/// cached under.
public enum GrammarSpec: Hashable, Sendable {
    /// A JSON Schema, as JSON text. Properties are generated in definition order.
    case jsonSchema(String, JSONFormat = .standard)
    /// A regex the whole output must match (the `pattern` dialect; see `RegexParser`).
    case regex(String)
    /// Exactly one of these strings.
    case choice([String])
    /// A llama.cpp GBNF grammar whose start rule is `root`.
    case gbnf(String)
    /// Any JSON value whose top level is an object (`response_format: json_object`).
    case jsonObject(JSONFormat = .standard)
}
