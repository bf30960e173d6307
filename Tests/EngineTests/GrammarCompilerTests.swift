import ServingCore
import StructuredOutput
import Testing

@testable import Engine

@Suite("GrammarCompiler: vLLM's JSON options")
struct GrammarCompilerTests {
    /// Every single byte as a token, then EOS.
    static let vocabulary = TokenVocabulary(
        tokenBytes: (0...255).map { [UInt8($0)] } + [Array("<eos>".utf8)], eosTokenIDs: [256])

    static func json(_ schema: String, _ edit: (inout StructuredOutputsParams) -> Void) -> StructuredOutputsParams {
        var params = StructuredOutputsParams(kind: .json, spec: schema)
        edit(&params)
        return params
    }

    @Test("the options become the spec's JSONFormat, so each set of options is its own cache entry")
    func optionsAreTheCacheKey() async throws {
        let schema = #"{"type":"object","properties":{"a":{"type":"integer"}}}"#
        let compact = Self.json(schema) { $0.disableAnyWhitespace = true }
        let closed = Self.json(schema) { $0.disableAdditionalProperties = true }
        let spaced = Self.json(schema) { $0.whitespacePattern = "[ ]?" }
        #expect(try GrammarCompiler.spec(compact) == .jsonSchema(schema, JSONFormat(whitespace: .none)))
        #expect(try GrammarCompiler.spec(closed) == .jsonSchema(schema, JSONFormat(disableAdditionalProperties: true)))
        #expect(try GrammarCompiler.spec(spaced) == .jsonSchema(schema, JSONFormat(whitespace: .pattern("[ ]?"))))
        var object = StructuredOutputsParams(kind: .jsonObject)
        object.disableAnyWhitespace = true
        #expect(try GrammarCompiler.spec(object) == .jsonObject(JSONFormat(whitespace: .none)))

        let compiler = GrammarCompiler(vocabulary: Self.vocabulary)
        let plain = try await compiler.compile(Self.json(schema) { _ in })
        let tight = try await compiler.compile(compact)
        #expect(plain !== tight)
        #expect(try await compiler.compile(compact) === tight)
        let matcher = tight.makeMatcher()
        #expect(matcher.accept(bytes: Array(#"{"a":"#.utf8)))
        #expect(!matcher.accept(bytes: [0x20]))
        #expect(plain.makeMatcher().accept(bytes: Array(#"{"a": "#.utf8)))
    }

    @Test("a whitespace_pattern that does not compile, both whitespace options, or options on a regex are refused")
    func refusals() async throws {
        let compiler = GrammarCompiler(vocabulary: Self.vocabulary)
        let refused: [(StructuredOutputsParams, String)] = [
            (Self.json("{}") { $0.whitespacePattern = "(" }, "structured_outputs: invalid whitespace_pattern: syntax"),
            (Self.json("{}") { $0.whitespacePattern = "[ x]" }, "structured_outputs: invalid whitespace_pattern: it"),
            (
                Self.json("{}") {
                    $0.whitespacePattern = " "
                    $0.disableAnyWhitespace = true
                }, "structured_outputs: use either disable_any_whitespace or whitespace_pattern"
            ),
            (
                {
                    var p = StructuredOutputsParams(kind: .regex, spec: "a")
                    p.disableAnyWhitespace = true
                    return p
                }(), "structured_outputs: disable_any_whitespace applies to json and json_object only"
            ),
        ]
        for (params, message) in refused {
            await #expect {
                _ = try await compiler.compile(params)
            } throws: { error in
                guard case .invalid(let why) = error as? EngineRequestError else { return false }
                return why.hasPrefix(message)
            }
        }
    }
}
