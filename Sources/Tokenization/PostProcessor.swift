import ServingCore

/// Adds special tokens around an encoded single sequence (HF post-processors, single-sequence case only).
indirect enum PostProcessor: Sendable {
    /// `TemplateProcessing.single`: each element is either the sequence or fixed special-token ids.
    case template([TemplatePiece])
    /// ByteLevel only trims offsets: no change to ids.
    case identity
    case sequence([PostProcessor])

    enum TemplatePiece: Sendable {
        case sequence
        case special([TokenID])
    }

    init(json: HFJSON.Object, tokenID: (String) -> TokenID?) throws {
        let type = HFJSON.string(json, "type") ?? ""
        switch type {
        case "TemplateProcessing":
            let specials = HFJSON.object(json, "special_tokens") ?? [:]
            let single = HFJSON.value(json, "single") as? [HFJSON.Object] ?? []
            self = .template(try single.map { piece in
                if HFJSON.object(piece, "Sequence") != nil { return .sequence }
                guard let special = HFJSON.object(piece, "SpecialToken"), let name = HFJSON.string(special, "id") else {
                    throw TokenizerError.invalidJSON("TemplateProcessing piece \(piece)")
                }
                if let entry = HFJSON.object(specials, name), let ids = HFJSON.value(entry, "ids") as? [Any] {
                    return .special(ids.compactMap { HFJSON.int($0).map { TokenID($0) } })
                }
                guard let id = tokenID(name) else { throw TokenizerError.invalidJSON("unknown special token \(name)") }
                return .special([id])
            })
        case "ByteLevel":
            self = .identity
        case "RobertaProcessing", "BertProcessing":
            let cls = HFJSON.value(json, "cls") as? [Any] ?? []
            let sep = HFJSON.value(json, "sep") as? [Any] ?? []
            guard cls.count == 2, sep.count == 2, let clsID = HFJSON.int(cls[1]), let sepID = HFJSON.int(sep[1]) else {
                throw TokenizerError.invalidJSON("\(type) needs cls and sep")
            }
            self = .template([.special([TokenID(clsID)]), .sequence, .special([TokenID(sepID)])])
        case "Sequence":
            let list = HFJSON.value(json, "processors") as? [HFJSON.Object] ?? []
            self = .sequence(try list.map { try PostProcessor(json: $0, tokenID: tokenID) })
        default:
            throw TokenizerError.unsupported("post-processor \(type)")
        }
    }

    /// What transformers builds from `add_bos_token` / `add_eos_token`.
    static func bosEOS(bos: TokenID?, eos: TokenID?) -> PostProcessor {
        var pieces: [TemplatePiece] = []
        if let bos { pieces.append(.special([bos])) }
        pieces.append(.sequence)
        if let eos { pieces.append(.special([eos])) }
        return .template(pieces)
    }

    func process(_ ids: [TokenID]) -> [TokenID] {
        switch self {
        case .identity:
            return ids
        case .sequence(let list):
            return list.reduce(ids) { $1.process($0) }
        case .template(let pieces):
            var out: [TokenID] = []
            out.reserveCapacity(ids.count + pieces.count)
            for piece in pieces {
                switch piece {
                case .sequence: out.append(contentsOf: ids)
                case .special(let special): out.append(contentsOf: special)
                }
            }
            return out
        }
    }
}
