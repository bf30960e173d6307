import Foundation

/// A Hugging Face normalizer, applied to each piece of text between added tokens before pre-tokenization.
indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    case replace(pattern: ReplacePattern, content: String)
    case prepend(String)
    case nfc, nfd, nfkc, nfkd
    case lowercase
    case strip(left: Bool, right: Bool)

    enum ReplacePattern: Sendable {
        case string(String)
        case regex(SplitPattern.RegexBox)
    }

    init(json: HFJSON.Object) throws {
        let type = HFJSON.string(json, "type") ?? ""
        switch type {
        case "Sequence":
            let list = HFJSON.value(json, "normalizers") as? [HFJSON.Object] ?? []
            self = .sequence(try list.map { try Normalizer(json: $0) })
        case "Replace":
            let content = try HFJSON.required(HFJSON.string(json, "content"), "Replace.content")
            self = .replace(pattern: try Self.replacePattern(json), content: content)
        case "Prepend":
            self = .prepend(try HFJSON.required(HFJSON.string(json, "prepend"), "Prepend.prepend"))
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Strip":
            self = .strip(
                left: HFJSON.bool(json, "strip_left") ?? true, right: HFJSON.bool(json, "strip_right") ?? true)
        default:
            throw TokenizerError.unsupported("normalizer \(type)")
        }
    }

    static func replacePattern(_ json: HFJSON.Object) throws -> ReplacePattern {
        let pattern = try HFJSON.required(HFJSON.object(json, "pattern"), "Replace.pattern")
        if let literal = HFJSON.string(pattern, "String") { return .string(literal) }
        if let regex = HFJSON.string(pattern, "Regex") {
            do {
                let compiled = try NSRegularExpression(pattern: SplitPattern.oniguruma(regex))
                return .regex(SplitPattern.RegexBox(regex: compiled))
            } catch {
                throw TokenizerError.unsupported("Replace regex \(regex) (\(error))")
            }
        }
        throw TokenizerError.invalidJSON("Replace.pattern needs String or Regex")
    }

    func normalize(_ text: String) -> String {
        switch self {
        case .sequence(let list):
            return list.reduce(text) { $1.normalize($0) }
        case .replace(let pattern, let content):
            return Self.replace(text, pattern, content)
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case .nfc:
            return Self.isASCII(text) ? text : text.precomposedStringWithCanonicalMapping
        case .nfd:
            return Self.isASCII(text) ? text : text.decomposedStringWithCanonicalMapping
        case .nfkc:
            return Self.isASCII(text) ? text : text.precomposedStringWithCompatibilityMapping
        case .nfkd:
            return Self.isASCII(text) ? text : text.decomposedStringWithCompatibilityMapping
        case .lowercase:
            return text.lowercased()
        case .strip(let left, let right):
            var scalars = Substring(text).unicodeScalars
            if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
            if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
            return String(scalars)
        }
    }

    static func replace(_ text: String, _ pattern: ReplacePattern, _ content: String) -> String {
        switch pattern {
        case .string(let literal):
            if literal.isEmpty { return text }
            // NOTE: replace on UTF-8 bytes, not Characters: a combining mark after the pattern must not hide it.
            return String(decoding: replaceBytes(Array(text.utf8), Array(literal.utf8), Array(content.utf8)),
                          as: UTF8.self)
        case .regex(let box):
            return box.regex.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text),
                withTemplate: NSRegularExpression.escapedTemplate(for: content))
        }
    }

    static func replaceBytes(_ bytes: [UInt8], _ needle: [UInt8], _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == needle[0] && i + needle.count <= bytes.count
                && bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: content)
                i += needle.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func isASCII(_ text: String) -> Bool { text.utf8.allSatisfy { $0 < 0x80 } }
}
