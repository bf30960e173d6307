/// How the JSON of a `jsonSchema` or `jsonObject` grammar is laid out: vLLM's `structured_outputs` options
/// `disable_any_whitespace`, `whitespace_pattern` and `disable_additional_properties`. Part of the spec, so part of
/// the key a compiled grammar is cached under.
public struct JSONFormat: Hashable, Sendable {
    /// The whitespace allowed between two JSON tokens (after `{` `[` `,` `:`, before `}` `]` `,` `:`).
    public enum Whitespace: Hashable, Sendable {
        /// At most one line break, then at most 20 spaces or tabs (`JSONGrammar.whitespace`).
        case bounded
        /// None: compact JSON (`disable_any_whitespace`).
        case none
        /// Whatever this regex matches as a whole (`whitespace_pattern`; the `pattern` dialect of `RegexParser`). It
        /// may only match JSON whitespace (space, tab, line feed, carriage return), or the output would not be JSON.
        case pattern(String)
    }

    public var whitespace: Whitespace
    /// Object schemas with `properties` or `patternProperties` but no `additionalProperties` allow no other
    /// properties, as vLLM's `process_for_additional_properties` makes them (`disable_additional_properties`).
    /// Schemas that define no properties, and `jsonObject`, stay open.
    public var disableAdditionalProperties: Bool

    public init(whitespace: Whitespace = .bounded, disableAdditionalProperties: Bool = false) {
        self.whitespace = whitespace
        self.disableAdditionalProperties = disableAdditionalProperties
    }

    public static let standard = JSONFormat()
}
