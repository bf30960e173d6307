/// What a structured-output request constrains its output to (vLLM's `StructuredOutputsParams`;
/// docs/architecture.md §6.5): exactly one of a JSON schema, a regex, a choice list, a grammar or "any JSON object".
///
/// Built by the api from `response_format` or `structured_outputs`, carried in `SamplingParams` to the engine-core,
/// which compiles it and masks each sampling step's tokens to what the constraint allows.
public struct StructuredOutputsParams: Sendable, Hashable, Codable {
    public enum Kind: Int, Sendable, Hashable, Codable {
        /// `spec` is a JSON Schema (JSON text).
        case json = 1
        /// `spec` is a regex the whole output must match.
        case regex
        /// The output is exactly one of `choice`.
        case choice
        /// `spec` is a grammar in llama.cpp's GBNF (start rule `root`).
        case grammar
        /// Any JSON value whose top level is an object.
        case jsonObject
    }

    public var kind: Kind = .jsonObject
    /// The schema, regex or grammar text; empty for `choice` and `jsonObject`.
    public var spec: String = ""
    public var choice: [String] = []
    /// JSON without whitespace between tokens (vLLM's `disable_any_whitespace`).
    public var disableAnyWhitespace = false
    /// Objects take no properties beyond those a schema lists, even where it allows more.
    public var disableAdditionalProperties = false
    /// A regex for the whitespace between JSON tokens, instead of the default (vLLM's `whitespace_pattern`); empty
    /// when not set (an empty pattern is `disableAnyWhitespace`).
    public var whitespacePattern = ""

    public init() {}

    public init(kind: Kind, spec: String = "", choice: [String] = []) {
        self.kind = kind
        self.spec = spec
        self.choice = choice
    }

    /// The largest spec accepted (a schema, regex or grammar), in bytes.
    public static let maxSpecBytes = 1 << 20
    /// The most strings a choice list may hold.
    public static let maxChoices = 4096

    /// Checks what can be checked without compiling; throws naming the parameter.
    public func validate() throws(SamplingParamsError) {
        func fail(_ why: String) -> SamplingParamsError { SamplingParamsError(parameter: "structured_outputs", message: why) }
        switch kind {
        case .json, .regex, .grammar:
            guard !spec.isEmpty else { throw fail("the \(kind) constraint is empty") }
            guard spec.utf8.count <= Self.maxSpecBytes else {
                throw fail("the \(kind) constraint is longer than \(Self.maxSpecBytes) bytes")
            }
        case .choice:
            guard !choice.isEmpty else { throw fail("choice must list at least one string") }
            guard choice.count <= Self.maxChoices else { throw fail("choice lists more than \(Self.maxChoices) strings") }
            guard choice.reduce(0, { $0 + $1.utf8.count }) <= Self.maxSpecBytes else {
                throw fail("the choices are longer than \(Self.maxSpecBytes) bytes in all")
            }
        case .jsonObject:
            break
        }
        if disableAnyWhitespace && !whitespacePattern.isEmpty {
            throw fail("use either disable_any_whitespace or whitespace_pattern, not both")
        }
        if kind != .json && kind != .jsonObject {
            // They describe JSON text; a regex, a choice or a grammar would silently not get them.
            for (set, name) in [
                (disableAnyWhitespace, "disable_any_whitespace"), (!whitespacePattern.isEmpty, "whitespace_pattern"),
                (disableAdditionalProperties, "disable_additional_properties"),
            ] where set {
                throw fail("\(name) applies to json and json_object only")
            }
        }
        guard whitespacePattern.utf8.count <= Self.maxWhitespacePatternBytes else {
            throw fail("whitespace_pattern is longer than \(Self.maxWhitespacePatternBytes) bytes")
        }
    }

    /// The longest `whitespacePattern` accepted, in bytes.
    public static let maxWhitespacePatternBytes = 4096
}
