@testable import StructuredOutput

/// Helpers shared by the suites: tiny vocabularies and whole-string acceptance.
enum TestSupport {
    /// A vocabulary of single bytes 0…255 plus `extra` multi-byte tokens; EOS is the last id.
    static func byteVocabulary(extra: [String] = []) -> TokenVocabulary {
        var tokens = (0...255).map { [UInt8($0)] }
        tokens += extra.map { Array($0.utf8) }
        tokens.append(Array("<eos>".utf8))
        return TokenVocabulary(tokenBytes: tokens, eosTokenIDs: [tokens.count - 1])
    }

    static let bytes = byteVocabulary()

    /// Whether the grammar accepts exactly `text` (all bytes allowed and can end after them).
    static func accepts(_ spec: GrammarSpec, _ text: String) throws -> Bool {
        let matcher = try CompiledGrammar(spec, vocabulary: bytes).makeMatcher()
        return matcher.accept(bytes: Array(text.utf8)) && matcher.canEnd
    }

    static func matches(_ regex: String, _ text: String) throws -> Bool {
        try accepts(.regex(regex), text)
    }

    static func schemaAccepts(_ schema: String, _ text: String) throws -> Bool {
        try accepts(.jsonSchema(schema), text)
    }

    static func allowed(_ mask: [UInt32]) -> [Int] {
        mask.indices.flatMap { word in (0..<32).filter { mask[word] >> UInt32($0) & 1 == 1 }.map { word * 32 + $0 } }
    }
}

/// SplitMix64: a seeded generator so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
