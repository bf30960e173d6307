/// Byte expressions for JSON's lexical parts, shared by the schema compiler and `json_object` mode.
enum JSONGrammar {
    /// Whitespace between JSON tokens: at most one line break, then at most `maxIndent` spaces or tabs — enough for
    /// Python's `json.dumps` separators (`", "`, `": "`) and pretty-printed JSON, but bounded. JSON itself allows any
    /// run of whitespace (as vLLM's XGrammar does by default), and a small model given that freedom can emit newlines
    /// until `max_tokens` and never close its object (seen with SmolLM2-135M).
    static let whitespace = GrammarExpr.concat([
        .optional(.concat([.optional(.literal("\r")), .literal("\n")])),
        .repeat(.bytes(ByteSet(bytes: Array(" \t".utf8))), min: 0, max: maxIndent),
    ])

    /// The longest run of spaces and tabs between two JSON tokens.
    static let maxIndent = 20

    static func token(_ text: String) -> GrammarExpr { .literal(text) }


    private static let hexDigit = GrammarExpr.bytes(ByteSet(bytes: Array("0123456789abcdefABCDEF".utf8)))

    /// One character of a JSON string as written: an unescaped scalar or an escape sequence.
    /// `surrogateEscapes` allows `\uD800`–`\uDFFF` (two of them make one character, so length counts need them off).
    static func stringCharacter(surrogateEscapes: Bool) -> GrammarExpr {
        surrogateEscapes ? anyCharacter : nonSurrogateCharacter
    }

    private static let anyCharacter = makeStringCharacter(surrogateEscapes: true)
    private static let nonSurrogateCharacter = makeStringCharacter(surrogateEscapes: false)

    private static func makeStringCharacter(surrogateEscapes: Bool) -> GrammarExpr {
        let plain = CodepointSet(ranges: [0...0x1F, 0x22...0x22, 0x5C...0x5C]).inverted().utf8Expr()
        let simple = GrammarExpr.concat([.literal("\\"), .bytes(ByteSet(bytes: Array("\"\\/bfnrt".utf8)))])
        let unicode: GrammarExpr
        if surrogateEscapes {
            unicode = .concat([.literal("\\u"), hexDigit, hexDigit, hexDigit, hexDigit])
        } else {
            // Any four hex digits except D800–DFFF (first digit d/D followed by 8–f).
            let notD = GrammarExpr.bytes(ByteSet(bytes: Array("0123456789abcefABCEF".utf8)))
            let lowSecond = GrammarExpr.bytes(ByteSet(bytes: Array("01234567".utf8)))
            unicode = .concat([
                .literal("\\u"),
                .oneOf([.concat([notD, hexDigit]), .concat([.bytes(ByteSet(bytes: Array("dD".utf8))), lowSecond])]),
                hexDigit, hexDigit,
            ])
        }
        return .oneOf([plain, simple, unicode])
    }

    static let anyString = GrammarExpr.concat([
        .literal("\""), .star(stringCharacter(surrogateEscapes: true)), .literal("\""),
    ])

    private static let digit = GrammarExpr.bytes(ByteSet(range: 0x30...0x39))
    private static let nonZeroDigit = GrammarExpr.bytes(ByteSet(range: 0x31...0x39))

    /// `0 | [1-9][0-9]*`
    static let naturalDigits = GrammarExpr.oneOf([.literal("0"), .concat([nonZeroDigit, .star(digit)])])
    static let fraction = GrammarExpr.concat([.literal("."), digit, .star(digit)])
    static let exponent = GrammarExpr.concat([
        .bytes(ByteSet(bytes: Array("eE".utf8))), .optional(.bytes(ByteSet(bytes: Array("+-".utf8)))), digit,
        .star(digit),
    ])
    static let anyInteger = GrammarExpr.concat([.optional(.literal("-")), naturalDigits])
    static let anyNumber = GrammarExpr.concat([anyInteger, .optional(fraction), .optional(exponent)])

    /// Adds the generic JSON value rule (recursive) to `grammar` and returns its index.
    static func addAnyValueRule(to grammar: inout GrammarDefinition, layout: JSONLayout) -> Int {
        let value = grammar.addRule(named: "json_value")
        let (whitespace, separator) = (layout.whitespace, layout.separator)
        let member = GrammarExpr.concat([anyString, layout.colon, .rule(value)])
        let object = GrammarExpr.concat([
            .literal("{"), whitespace, .optional(.concat([member, .star(.concat([separator, member]))])), whitespace,
            .literal("}"),
        ])
        let array = GrammarExpr.concat([
            .literal("["), whitespace, .optional(.concat([.rule(value), .star(.concat([separator, .rule(value)]))])),
            whitespace, .literal("]"),
        ])
        grammar.define(
            value, .oneOf([object, array, anyString, anyNumber, .literal("true"), .literal("false"), .literal("null")]))
        return value
    }
}

/// The whitespace of one `JSONFormat` and the separators built from it.
struct JSONLayout {
    let whitespace: GrammarExpr
    /// `ws , ws` between members and items.
    let separator: GrammarExpr
    /// `ws : ws` between a key and its value.
    let colon: GrammarExpr

    static let bounded = JSONLayout(whitespace: JSONGrammar.whitespace)

    init(whitespace: GrammarExpr) {
        self.whitespace = whitespace
        separator = .concat([whitespace, .literal(","), whitespace])
        colon = .concat([whitespace, .literal(":"), whitespace])
    }

    /// Throws `invalidOption` naming `whitespace_pattern` for a pattern that does not parse, or that matches more
    /// than JSON whitespace (the output would not be JSON).
    init(_ whitespace: JSONFormat.Whitespace) throws {
        switch whitespace {
        case .bounded: self = .bounded
        case .none: self.init(whitespace: .empty)
        case .pattern(let text):
            let body: GrammarExpr
            do {
                body = try RegexPattern.compile(text, encoding: .utf8, search: false)
                var grammar = GrammarDefinition()
                grammar.root = grammar.addRule(named: "whitespace", body)
                let nfa = try ByteNFABuilder.build(grammar)
                let allowed = ByteSet(bytes: Array(" \t\n\r".utf8))
                let edges = nfa.byteEdges + nfa.regions.flatMap(\.template.byteEdges)
                guard edges.allSatisfy({ $0.allSatisfy { $0.bytes.isSubset(of: allowed) } }) else {
                    throw GrammarError.invalidOption(
                        name: "whitespace_pattern",
                        reason: "it matches more than JSON whitespace (space, tab, line feed, carriage return)")
                }
            } catch let error as GrammarError {
                if case .invalidOption = error { throw error }
                throw GrammarError.invalidOption(name: "whitespace_pattern", reason: "\(error)")
            }
            self.init(whitespace: body)
        }
    }
}
