/// A grammar compiled against one vocabulary: immutable, Sendable, and cacheable by (spec, vocabulary).
///
/// Compilation builds the byte NFA up to a budget; the rest of it, the DFA and the masks are built lazily by each
/// matcher's runtime.
public final class CompiledGrammar: Sendable {
    public let spec: GrammarSpec
    public let vocabulary: TokenVocabulary
    /// The automaton built so far, and what builds the rest on demand (each matcher's runtime grows its own copy).
    let seed: ByteNFABuilder

    public init(_ spec: GrammarSpec, vocabulary: TokenVocabulary) throws {
        self.spec = spec
        self.vocabulary = vocabulary
        seed = try ByteNFABuilder.prepare(Self.definition(spec))
    }

    /// The grammar over bytes that `spec` denotes.
    static func definition(_ spec: GrammarSpec) throws -> GrammarDefinition {
        var grammar = GrammarDefinition()
        switch spec {
        case .jsonSchema(let text, let format):
            return try JSONSchemaCompiler.compile(text, format: format)
        case .regex(let pattern):
            grammar.root = grammar.addRule(
                named: "root", try RegexPattern.compile(pattern, encoding: .utf8, search: false))
        case .choice(let strings):
            guard !strings.isEmpty else { throw GrammarError.invalidBounds("empty choice list") }
            grammar.root = grammar.addRule(named: "root", .oneOf(strings.map { .literal($0) }))
        case .gbnf(let text):
            return try GBNFParser.parse(text)
        case .jsonObject(let format):
            return try JSONSchemaCompiler.jsonObjectGrammar(format: format)
        }
        return grammar
    }

    /// NFA states after compilation (a size measure for tests and benchmarks).
    public var automatonStateCount: Int { seed.nfa.stateCount }

    /// A fresh matcher at the start of the output, with its own lazily built automaton.
    public func makeMatcher() -> GrammarMatcher {
        GrammarMatcher(runtime: GrammarRuntime(nfa: seed.nfa, builder: seed, vocabulary: vocabulary))
    }
}
