/// Why a schema, regex, grammar or choice list could not be compiled; the description names the problem.
public enum GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A construct this engine does not implement (rather than silently accepting more than the input allows).
    case unsupported(String)
    /// Malformed input: a bad regex at a byte offset, an unbalanced group, an unknown rule.
    case syntax(String, position: Int)
    /// A `$ref` that does not resolve inside the schema.
    case unknownReference(String)
    /// Bounds that no value satisfies, or counts over the limits.
    case invalidBounds(String)
    /// The input parsed but the automaton would exceed the size limits.
    case tooLarge(String)
    /// The JSON text of a schema did not parse.
    case invalidJSON(String, position: Int)
    /// An option of the spec (`JSONFormat`) that cannot be used, by its vLLM name.
    case invalidOption(name: String, reason: String)

    public var description: String {
        switch self {
        case .unsupported(let what): "unsupported: \(what)"
        case .syntax(let what, let position): "syntax error at position \(position): \(what)"
        case .unknownReference(let ref): "unknown $ref: \(ref)"
        case .invalidBounds(let what): "invalid bounds: \(what)"
        case .tooLarge(let what): "grammar too large: \(what)"
        case .invalidJSON(let what, let position): "invalid JSON at position \(position): \(what)"
        case .invalidOption(let name, let reason): "invalid \(name): \(reason)"
        }
    }
}
