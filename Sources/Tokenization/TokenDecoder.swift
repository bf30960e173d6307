/// A Hugging Face decoder: turns the token strings of ids back into text (`decode_chain`, then joined).
indirect enum TokenDecoder: Sendable {
    case byteLevel
    case metaspace(replacement: String, prependScheme: MetaspacePrependScheme)
    case replace(pattern: Normalizer.ReplacePattern, content: String)
    case byteFallback
    case fuse
    case strip(content: Character, start: Int, stop: Int)
    case sequence([TokenDecoder])

    init(json: HFJSON.Object) throws {
        let type = HFJSON.string(json, "type") ?? ""
        switch type {
        case "ByteLevel":
            self = .byteLevel
        case "Metaspace":
            var scheme = MetaspacePrependScheme(rawValue: HFJSON.string(json, "prepend_scheme") ?? "always") ?? .always
            if HFJSON.bool(json, "add_prefix_space") == false { scheme = .never }
            self = .metaspace(replacement: HFJSON.string(json, "replacement") ?? "\u{2581}", prependScheme: scheme)
        case "Replace":
            let content = try HFJSON.required(HFJSON.string(json, "content"), "Replace.content")
            self = .replace(pattern: try Normalizer.replacePattern(json), content: content)
        case "ByteFallback":
            self = .byteFallback
        case "Fuse":
            self = .fuse
        case "Strip":
            let content = try HFJSON.required(HFJSON.string(json, "content"), "Strip.content")
            guard let character = content.first else { throw TokenizerError.invalidJSON("Strip.content is empty") }
            self = .strip(
                content: character, start: HFJSON.int(json, "start") ?? 0, stop: HFJSON.int(json, "stop") ?? 0)
        case "Sequence":
            let list = HFJSON.value(json, "decoders") as? [HFJSON.Object] ?? []
            self = .sequence(try list.map { try TokenDecoder(json: $0) })
        default:
            throw TokenizerError.unsupported("decoder \(type)")
        }
    }

    func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let list):
            return list.reduce(tokens) { $1.decodeChain($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                if let decoded = ByteLevelAlphabet.decode(token) {
                    bytes.append(contentsOf: decoded)
                } else {
                    bytes.append(contentsOf: token.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .metaspace(let replacement, let scheme):
            let mark = replacement.unicodeScalars.first!
            return tokens.enumerated().map { index, token in
                var out = String.UnicodeScalarView()
                for scalar in token.unicodeScalars {
                    if scalar == mark {
                        if index == 0 && scheme != .never { continue }
                        out.append(" ")
                    } else {
                        out.append(scalar)
                    }
                }
                return String(out)
            }
        case .replace(let pattern, let content):
            return tokens.map { Normalizer.replace($0, pattern, content) }
        case .byteFallback:
            return Self.byteFallback(tokens)
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { Self.strip($0, content, start, stop) }
        }
    }

    private static func byteFallback(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                out.append(text)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = fallbackByte(token) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of a `<0xNN>` token.
    static func fallbackByte(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == 0x3C, utf8[1] == 0x30, utf8[2] == 0x78, utf8[5] == 0x3E else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    private static func strip(_ token: String, _ content: Character, _ start: Int, _ stop: Int) -> String {
        let characters = Array(token.unicodeScalars)
        let mark = content.unicodeScalars.first!
        var startCut = 0
        for i in 0..<min(start, characters.count) {
            guard characters[i] == mark else { break }
            startCut = i + 1
        }
        var stopCut = characters.count
        for i in 0..<min(stop, characters.count) {
            let index = characters.count - i - 1
            guard characters[index] == mark, index >= startCut else { break }
            stopCut = index
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: characters[startCut..<stopCut])
        return String(out)
    }
}
