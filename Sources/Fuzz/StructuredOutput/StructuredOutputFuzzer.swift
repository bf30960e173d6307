import FuzzSupport
import StructuredOutput

/// Fuzzes the structured-output compiler and matcher: arbitrary JSON schemas, regexes, GBNF grammars and choice
/// lists compiled against a small vocabulary, then a matcher driven by the input.
///
/// Input: byte 0 picks the kind (schema, regex, GBNF, choice with one string per line, JSON object); the spec runs
/// to the first 0x00 byte; the bytes after it drive the matcher, one step per byte (at most 64): the step's low two
/// bits pick an operation — accept a token named by the next byte, accept the allowed token the next byte picks,
/// roll back, or accept the next 1–4 raw bytes. Checks: compiling may throw but not crash; every mask has
/// `maskWordCount` words; a token is accepted exactly when its mask bit is set, and EOS exactly when `canEnd`.
@main
enum StructuredOutputFuzzer {
    static func main() {
        let specs = [#"{"type":"object","properties":{"a":{"type":"string"}}}"#, "a+", #"root ::= "a""#, "a\nb", ""]
        LibFuzzer.run(warmUp: specs.indices.map { [UInt8($0)] + Array(specs[$0].utf8) + [0, 1, 0, 1, 1] }, fuzzOne)
    }

    /// Bytes 0–255, some multi-byte tokens JSON and regexes produce, a special token, then EOS (the last id).
    static let vocabulary: TokenVocabulary = {
        var tokens = (0...255).map { [UInt8($0)] }
        let extra = [
            "{", "}", "{\"", "\":", "\": \"", "\",", "\"}", ", ", "true", "false", "null", "[]", "[\"", "\"]", "0.5",
            "-1", "1e5", "abc", "ab", "  ", "\n", "\\u00", "é", "日本", "\u{1F600}", "\"name\"", "<tool_call>",
        ]
        tokens += extra.map { Array($0.utf8) }
        tokens.append(Array("<|special|>".utf8))
        tokens.append(Array("<eos>".utf8))
        return TokenVocabulary(
            tokenBytes: tokens, eosTokenIDs: [tokens.count - 1], specialTokenIDs: [tokens.count - 2], size: 320)
    }()

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let kind = input.byte()
        let rest = input.rest()
        let specEnd = rest.firstIndex(of: 0) ?? rest.endIndex
        let text = String(decoding: rest[..<specEnd], as: UTF8.self)
        let drive = FuzzInput(Array(rest[specEnd...].dropFirst()))
        let spec: GrammarSpec =
            switch kind % 5 {
            case 0: .jsonSchema(text)
            case 1: .regex(text)
            case 2: .gbnf(text)
            case 3: .choice(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            default: .jsonObject()
            }
        guard let grammar = try? CompiledGrammar(spec, vocabulary: vocabulary) else { return }
        run(grammar.makeMatcher(), drive)
    }

    static func run(_ matcher: GrammarMatcher, _ drive: FuzzInput) {
        var drive = drive
        let eos = vocabulary.eosTokenIDs[0]
        var mask: [UInt32] = []
        for _ in 0..<64 where !drive.isAtEnd {
            matcher.fillMask(into: &mask)
            guard mask.count == vocabulary.maskWordCount else {
                fuzzFailure("mask of \(mask.count) words, expected \(vocabulary.maskWordCount)")
            }
            let allowed = (0..<vocabulary.size).filter { mask[$0 >> 5] >> UInt32($0 & 31) & 1 == 1 }
            guard allowed.contains(eos) == matcher.canEnd else {
                fuzzFailure("EOS in the mask: \(allowed.contains(eos)), canEnd: \(matcher.canEnd)")
            }
            let op = drive.byte()
            switch op & 3 {
            case 0:
                let token = Int(drive.byte()) + (op & 4 == 0 ? 0 : 256)
                let count = matcher.acceptedTokenCount
                let accepted = matcher.accept(token: token)
                guard accepted == allowed.contains(token) else {
                    fuzzFailure("token \(token): accept \(accepted), but the mask says \(allowed.contains(token))")
                }
                if accepted, op & 8 != 0 { matcher.rollback(count: 1) }
                guard matcher.acceptedTokenCount == count + (accepted && op & 8 == 0 ? 1 : 0) else {
                    fuzzFailure("accepted token count \(matcher.acceptedTokenCount) after \(count)")
                }
            case 1:
                guard !allowed.isEmpty else { continue }
                let token = allowed[Int(drive.byte()) % allowed.count]
                guard matcher.accept(token: token) else { fuzzFailure("allowed token \(token) was refused") }
            case 2:
                matcher.rollback(count: min(Int(op >> 2), matcher.acceptedTokenCount))
            default:
                _ = matcher.accept(bytes: Array(drive.bytes(Int(op >> 2) % 4 + 1)))
            }
        }
    }
}
