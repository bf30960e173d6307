import ModelFiles
import ServingCore

extension Tokenizer {
    /// The tokenizer stored in a GGUF file's metadata, giving the ids llama.cpp gives (`llama_tokenize` with
    /// `parse_special`: control, unknown-type and user-defined tokens are matched in the text).
    ///
    /// `gpt2` files are byte-level BPE with the pre-tokenizer `tokenizer.ggml.pre` names (`GGUFPreTokenizer`);
    /// `llama` files are SentencePiece BPE from scores with `<0xNN>` byte fallback, `▁` for spaces and, unless
    /// `add_space_prefix` is false, a `▁` before every stretch of text (at the start and after each special token,
    /// as llama.cpp does). BOS/EOS are added as `add_bos_token` / `add_eos_token` say, else as llama.cpp defaults
    /// (BOS for `llama` and Llama 3 `gpt2` files). Control tokens are special: `decode` drops them when asked.
    /// `config` carries the special token strings, `add_bos_token` and `tokenizer.chat_template` for the API.
    public convenience init(gguf: GGUFFile) throws {
        try self.init(ggufMetadata: gguf.metadata)
    }

    convenience init(ggufMetadata metadata: [String: GGUFValue]) throws {
        let file = try GGUFVocabulary(metadata: metadata)
        let vocab = file.vocab
        let model: BPEModel
        let normalizer: Normalizer?
        let preTokenizer: PreTokenizer?
        let decoder: TokenDecoder
        var addBOS: Bool
        switch file.model {
        case .gpt2:
            let pre = try GGUFPreTokenizer(name: file.pre)
            model = BPEModel(
                vocab: vocab, tokens: file.tokens, merges: try file.bpeMerges(), byteLevel: true,
                byteFallback: false, fuseUnknown: false, ignoreMerges: pre.ignoreMerges, unknownID: nil)
            normalizer = nil
            preTokenizer = pre.preTokenizer
            decoder = .byteLevel
            addBOS = pre.addBOS
        case .llama:
            model = BPEModel(
                vocab: vocab, tokens: file.tokens, merges: file.scoreMerges(), byteLevel: false,
                byteFallback: true, fuseUnknown: false, ignoreMerges: false, unknownID: file.unknownTokenID ?? 0)
            let spacePrefix = file.addSpacePrefix ?? true
            let escape = Normalizer.replace(pattern: .string(" "), content: "\u{2581}")
            normalizer = spacePrefix ? .sequence([escape, .prepend("\u{2581}")]) : escape
            preTokenizer = nil
            var steps: [TokenDecoder] = [.replace(pattern: .string("\u{2581}"), content: " "), .byteFallback, .fuse]
            if spacePrefix { steps.append(.strip(content: " ", start: 1, stop: 0)) }
            decoder = .sequence(steps)
            addBOS = true
        }
        addBOS = file.addBOS ?? addBOS
        let addEOS = file.addEOS ?? false
        // NOTE: llama.cpp's SPM defaults (BOS 1, EOS 2, UNK 0) stand in for missing ids; its gpt2 default of 11
        // for BOS and EOS (a Falcon leftover) does not: id 11 is an ordinary token in other vocabularies.
        let spm = file.model == .llama && file.tokens.count > 2
        let defaults: (bos: TokenID?, eos: TokenID?) = spm ? (1, 2) : (nil, nil)
        let bos = file.bosTokenID ?? defaults.bos
        let eos = file.eosTokenID ?? defaults.eos
        if addBOS && bos == nil {
            throw TokenizerError.invalidGGUF(key: "tokenizer.ggml.bos_token_id", reason: "missing, but BOS is added")
        }
        if addEOS && eos == nil {
            throw TokenizerError.invalidGGUF(key: "tokenizer.ggml.eos_token_id", reason: "missing, but EOS is added")
        }
        var eosIDs: [TokenID] = []
        for id in [eos, file.eotTokenID, file.eomTokenID].compactMap({ $0 }) + file.endOfGenerationIDs
        where !eosIDs.contains(id) {
            eosIDs.append(id)
        }
        let token = { (id: TokenID?) in id.map { file.tokens[Int($0)] } }
        let config = TokenizerConfig(
            bosToken: token(bos), eosToken: token(eos), padToken: token(file.paddingTokenID),
            unkToken: token(file.unknownTokenID), addBOSToken: addBOS, addEOSToken: addEOS,
            chatTemplate: file.chatTemplate ?? file.namedChatTemplates["default"],
            namedChatTemplates: file.namedChatTemplates)
        self.init(
            model: model, normalizer: normalizer, preTokenizer: preTokenizer,
            postProcessor: .bosEOS(bos: addBOS ? bos : nil, eos: addEOS ? eos : nil), decoder: decoder,
            addedTokens: Self.addedTokens(file), addedTokenOrder: .longestFirst, bosTokenID: bos, eosTokenIDs: eosIDs,
            chatTemplate: config.chatTemplate, config: config, generationConfig: nil)
    }

    /// The tokens llama.cpp matches in text before BPE: control and unknown-type tokens (special, dropped by
    /// `skipSpecialTokens`) and user-defined ones (kept when decoding).
    private static func addedTokens(_ file: GGUFVocabulary) -> [AddedToken] {
        var added: [AddedToken] = []
        for (id, type) in file.tokenTypes.enumerated() {
            switch type {
            case .control, .unknown:
                added.append(AddedToken(id: TokenID(id), content: file.tokens[id], special: true))
            case .userDefined:
                added.append(AddedToken(id: TokenID(id), content: file.tokens[id], special: false))
            default:
                break
            }
        }
        return added
    }
}
