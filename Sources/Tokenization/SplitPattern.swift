import Foundation

/// The pattern of a `Split` pre-tokenizer: one of the three well-known regexes (hand-written scanner), another
/// regex (NSRegularExpression, ICU syntax), or a literal string.
enum SplitPattern: Sendable {
    case scanner(SplitScanner.Kind)
    case regex(RegexBox)
    case literal([UInt8])
    /// Every numeric character (general category N, Rust's `char::is_numeric`), one match each.
    case numbers

    /// Wraps NSRegularExpression, which is immutable after creation and safe to share.
    struct RegexBox: @unchecked Sendable {
        let regex: NSRegularExpression
    }

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"#
        + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"#
        + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init(regex pattern: String) throws {
        switch pattern {
        case Self.gpt2Regex: self = .scanner(.gpt2)
        case Self.llama3Regex: self = .scanner(.llama3)
        case Self.qwen2Regex: self = .scanner(.qwen2)
        default:
            do {
                self = .regex(RegexBox(regex: try NSRegularExpression(pattern: Self.oniguruma(pattern))))
            } catch {
                throw TokenizerError.unsupported("split regex \(pattern) (\(error))")
            }
        }
    }

    /// Rewrites `\s` / `\S` to Unicode White_Space, which is what Oniguruma (used by Hugging Face) matches; ICU's
    /// `\s` leaves out U+000B and U+0085.
    static func oniguruma(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        for character in pattern {
            if escaped {
                switch character {
                case "s": out += "\\p{White_Space}"
                case "S": out += "\\P{White_Space}"
                default: out += "\\" + String(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else {
                out.append(character)
            }
        }
        if escaped { out += "\\" }
        return out
    }

    /// The non-overlapping matches in `bytes` (valid UTF-8), as byte ranges in order.
    func matches(in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        switch self {
        case .scanner(let kind):
            return SplitScanner(kind: kind, bytes: bytes).matches()
        case .literal(let needle):
            return Self.literalMatches(needle, in: bytes)
        case .numbers:
            var result: [Range<Int>] = []
            var i = 0
            while i < bytes.count {
                let scalar = UTF8Scalars.decode(bytes, at: i)
                if CharacterClass.of(scalar.value) & CharacterClass.number != 0 {
                    result.append(i..<(i + scalar.length))
                }
                i += scalar.length
            }
            return result
        case .regex(let box):
            let string = String(decoding: bytes, as: UTF8.self)
            // NOTE: NSRange is in UTF-16 units; map them to UTF-8 offsets by hand (String.Index conversions may
            // round to Character boundaries, which splits "\r\n" or "e\u{301}" wrongly).
            var utf8Offset: [Int] = []
            utf8Offset.reserveCapacity(bytes.count + 1)
            var offset = 0
            for scalar in string.unicodeScalars {
                utf8Offset.append(offset)
                if scalar.value > 0xFFFF { utf8Offset.append(offset) }
                offset += UTF8.width(scalar)
            }
            utf8Offset.append(offset)
            let matches = box.regex.matches(in: string, range: NSRange(location: 0, length: utf8Offset.count - 1))
            return matches.compactMap { match in
                let range = match.range
                guard range.length > 0 else { return nil }
                return utf8Offset[range.location]..<utf8Offset[range.location + range.length]
            }
        }
    }

    private static func literalMatches(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !needle.isEmpty, bytes.count >= needle.count else { return [] }
        var result: [Range<Int>] = []
        var i = 0
        while i <= bytes.count - needle.count {
            var equal = true
            for k in 0..<needle.count where bytes[i + k] != needle[k] {
                equal = false
                break
            }
            if equal {
                result.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return result
    }
}
