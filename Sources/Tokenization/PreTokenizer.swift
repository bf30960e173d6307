/// A Hugging Face pre-tokenizer: splits a normalized piece into words for the model.
///
/// `ByteLevel` is not a transformation here: it must come last, and it switches the model to byte-level mode
/// (each raw byte stands for its alphabet character), which gives the same ids without re-encoding the text.
indirect enum PreTokenizer: Sendable {
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case split(SplitPattern, SplitBehavior)
    case metaspace(replacement: [UInt8], prependScheme: MetaspacePrependScheme, split: Bool)
    /// Numbers apart from the rest: each numeric character alone, or runs of them (HF `Digits`).
    case digits(individual: Bool)
    case sequence([PreTokenizer])

    init(json: HFJSON.Object) throws {
        let type = HFJSON.string(json, "type") ?? ""
        switch type {
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: HFJSON.bool(json, "add_prefix_space") ?? false,
                useRegex: HFJSON.bool(json, "use_regex") ?? true)
        case "Split":
            if HFJSON.bool(json, "invert") ?? false { throw TokenizerError.unsupported("Split with invert: true") }
            let patternObject = try HFJSON.required(HFJSON.object(json, "pattern"), "Split.pattern")
            let pattern: SplitPattern
            if let regex = HFJSON.string(patternObject, "Regex") {
                pattern = try SplitPattern(regex: regex)
            } else if let literal = HFJSON.string(patternObject, "String") {
                pattern = .literal(Array(literal.utf8))
            } else {
                throw TokenizerError.invalidJSON("Split.pattern needs Regex or String")
            }
            let behaviorName = HFJSON.string(json, "behavior") ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw TokenizerError.unsupported("Split behavior \(behaviorName)")
            }
            self = .split(pattern, behavior)
        case "Metaspace":
            let replacement = HFJSON.string(json, "replacement") ?? "\u{2581}"
            var scheme = MetaspacePrependScheme(rawValue: HFJSON.string(json, "prepend_scheme") ?? "always") ?? .always
            if HFJSON.bool(json, "add_prefix_space") == false { scheme = .never }
            self = .metaspace(replacement: Array(replacement.utf8), prependScheme: scheme,
                              split: HFJSON.bool(json, "split") ?? true)
        case "Digits":
            self = .digits(individual: HFJSON.bool(json, "individual_digits") ?? false)
        case "Sequence":
            let list = HFJSON.value(json, "pretokenizers") as? [HFJSON.Object] ?? []
            self = .sequence(try list.map { try PreTokenizer(json: $0) })
        default:
            throw TokenizerError.unsupported("pre-tokenizer \(type)")
        }
        try checkByteLevelIsLast()
    }

    /// True when the model must run in byte-level mode.
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let list): return list.last?.isByteLevel ?? false
        default: return false
        }
    }

    private func checkByteLevelIsLast() throws {
        guard case .sequence(let list) = self else { return }
        for item in list.dropLast() where item.containsByteLevel {
            throw TokenizerError.unsupported("a ByteLevel pre-tokenizer followed by other pre-tokenizers")
        }
    }

    private var containsByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let list): return list.contains { $0.containsByteLevel }
        default: return false
        }
    }

    /// Splits each piece; empty pieces are dropped (as HF does after every split).
    func preTokenize(_ pieces: [TextPiece]) -> [TextPiece] {
        switch self {
        case .sequence(let list):
            return list.reduce(pieces) { $1.preTokenize($0) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            return pieces.flatMap { piece -> [TextPiece] in
                var piece = piece
                if addPrefixSpace && piece.bytes.first != 0x20 { piece.bytes.insert(0x20, at: 0) }
                return useRegex ? Self.split(piece, SplitPattern.scanner(.gpt2), .isolated) : [piece]
            }
        case .split(let pattern, let behavior):
            return pieces.flatMap { Self.split($0, pattern, behavior) }
        case .metaspace(let replacement, let scheme, let split):
            return pieces.flatMap { Self.metaspace($0, replacement, scheme, split) }
        case .digits(let individual):
            return pieces.flatMap { Self.split($0, .numbers, individual ? .isolated : .contiguous) }
        }
    }

    static func split(_ piece: TextPiece, _ pattern: SplitPattern, _ behavior: SplitBehavior) -> [TextPiece] {
        piece.bytes.withUnsafeBufferPointer { buffer in
            let ranges = behavior.pieces(count: buffer.count, matches: pattern.matches(in: buffer))
            return ranges.map { TextPiece(bytes: Array(buffer[$0]), atStart: piece.atStart && $0.lowerBound == 0) }
        }
    }

    private static func metaspace(
        _ piece: TextPiece, _ replacement: [UInt8], _ scheme: MetaspacePrependScheme, _ split: Bool
    ) -> [TextPiece] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(piece.bytes.count + 8)
        for byte in piece.bytes {
            if byte == 0x20 { bytes.append(contentsOf: replacement) } else { bytes.append(byte) }
        }
        let startsWithReplacement = bytes.starts(with: replacement)
        switch scheme {
        case .always where !startsWithReplacement, .first where !startsWithReplacement && piece.atStart:
            bytes.insert(contentsOf: replacement, at: 0)
        default:
            break
        }
        let replaced = TextPiece(bytes: bytes, atStart: piece.atStart)
        if bytes.isEmpty { return [] }
        return split ? Self.split(replaced, .literal(replacement), .mergedWithNext) : [replaced]
    }
}

/// When Metaspace prepends the replacement character.
enum MetaspacePrependScheme: String, Sendable {
    case always, first, never
}
