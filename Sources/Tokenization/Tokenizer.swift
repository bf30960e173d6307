import Foundation
import ServingCore

/// A Hugging Face `tokenizer.json` tokenizer (BPE: byte-level or SentencePiece-style with byte fallback).
///
/// `encode` follows the `tokenizers` pipeline exactly: added tokens are cut out of the raw text first (and, for
/// `normalized` added tokens, of the normalized text), each remaining piece is normalized, pre-tokenized and run
/// through the BPE model, and the post-processor adds BOS/EOS when `addSpecialTokens` is true. `decode` maps ids to
/// token strings (dropping special tokens when asked) and runs the decoder chain. Immutable and safe to share;
/// the BPE word cache is internally locked.
public final class Tokenizer: Sendable {
    let model: BPEModel
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    let addedTokensByID: [TokenID: AddedToken]
    let addedTokenIDs: [String: TokenID]
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    /// Token strings decoding uses for added tokens: the normalized content for `normalized` tokens (as HF's
    /// `simple_id_to_token`), else the content.
    let addedDecodeStrings: [TokenID: String]
    /// Ids dropped by `skipSpecialTokens`: those whose decoding string is the content of a special token.
    let skippedOnDecode: Set<TokenID>
    /// Set when the decoder is plain ByteLevel: decode copies bytes instead of building token strings.
    let byteLevelBytes: ByteLevelTokenBytes?

    public let config: TokenizerConfig?
    public let generationConfig: GenerationConfig?
    /// Number of ids (largest id + 1), counting added tokens.
    public let vocabSize: Int
    public let bosTokenID: TokenID?
    /// Ids that end generation: `eos_token` of tokenizer_config.json, then generation_config.json's
    /// `eos_token_id`s (GGUF: `eos_token_id`, `eot_token_id`, `eom_token_id`), without duplicates.
    public let eosTokenIDs: [TokenID]
    /// Ids of added tokens marked `special` (what `skipSpecialTokens` removes).
    public let specialTokenIDs: Set<TokenID>
    /// The default chat template (tokenizer_config.json's, or a GGUF file's `tokenizer.chat_template`), if any.
    public let chatTemplate: String?

    /// Loads a tokenizer from the contents of `tokenizer.json`, with the optional companion configs.
    public convenience init(tokenizerJSON: Data, config: TokenizerConfig?, generationConfig: GenerationConfig? = nil)
        throws
    {
        let file = try TokenizerFile.decode(tokenizerJSON)
        let normalizer = try file.normalizer?.object.map { try Normalizer(json: $0) }
        let preTokenizer = try file.pre_tokenizer?.object.map { try PreTokenizer(json: $0) }
        let decoder = try file.decoder?.object.map { try TokenDecoder(json: $0) }
        let model = try BPEModel(file: file.model, byteLevel: preTokenizer?.isByteLevel ?? false)
        let added = try (file.added_tokens ?? []).map {
            try AddedToken(json: try HFJSON.required($0.object, "added token object"))
        }
        let addedIDs = Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { $1 })
        let vocab = model.vocab
        let lookup: (String) -> TokenID? = { addedIDs[$0] ?? vocab[$0] }
        let bos = config?.bosToken.flatMap(lookup) ?? generationConfig?.bosTokenID
        var eos: [TokenID] = []
        for id in [config?.eosToken.flatMap(lookup)].compactMap({ $0 }) + (generationConfig?.eosTokenIDs ?? [])
        where !eos.contains(id) {
            eos.append(id)
        }
        let postProcessor: PostProcessor?
        if config?.addBOSToken != nil || config?.addEOSToken != nil {
            // NOTE: explicit add_bos_token / add_eos_token win over tokenizer.json (transformers'
            // update_post_processor).
            postProcessor = .bosEOS(bos: config?.addBOSToken == true ? bos : nil,
                                    eos: config?.addEOSToken == true ? config?.eosToken.flatMap(lookup) : nil)
        } else {
            postProcessor = try file.post_processor?.object.map { try PostProcessor(json: $0, tokenID: lookup) }
        }
        self.init(
            model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
            decoder: decoder, addedTokens: added, addedTokenOrder: .leftmostLongest, bosTokenID: bos,
            eosTokenIDs: eos, chatTemplate: config?.chatTemplate, config: config, generationConfig: generationConfig)
    }

    /// A tokenizer from its parts (`tokenizer.json` or GGUF metadata, already read and checked).
    init(
        model: BPEModel, normalizer: Normalizer?, preTokenizer: PreTokenizer?, postProcessor: PostProcessor?,
        decoder: TokenDecoder?, addedTokens added: [AddedToken], addedTokenOrder: AddedTokenMatcher.Order,
        bosTokenID: TokenID?, eosTokenIDs: [TokenID], chatTemplate: String?, config: TokenizerConfig?,
        generationConfig: GenerationConfig?
    ) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.config = config
        self.generationConfig = generationConfig
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.chatTemplate = chatTemplate
        addedTokensByID = Dictionary(added.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        addedTokenIDs = Dictionary(added.map { ($0.content, $0.id) }, uniquingKeysWith: { $1 })
        specialTokenIDs = Set(added.filter(\.special).map(\.id))
        let raw = added.filter { !$0.normalized }
        let normalized = added.filter(\.normalized)
        rawMatcher = AddedTokenMatcher(tokens: raw, patterns: raw.map(\.content), order: addedTokenOrder)
        normalizedMatcher = AddedTokenMatcher(
            tokens: normalized,
            patterns: normalized.map { [normalizer] in normalizer?.normalize($0.content) ?? $0.content })
        vocabSize = max(model.tokens.count, Int(added.map(\.id).max() ?? -1) + 1)
        var decodeStrings: [TokenID: String] = [:]
        for token in added {
            let normalizedContent = token.normalized ? normalizer?.normalize(token.content) : nil
            decodeStrings[token.id] = normalizedContent ?? token.content
        }
        addedDecodeStrings = decodeStrings
        let specialContents = Set(added.filter(\.special).map(\.content))
        var skipped = Set(decodeStrings.filter { specialContents.contains($0.value) }.keys)
        for content in specialContents {
            if let id = model.id(of: content), decodeStrings[id] == nil { skipped.insert(id) }
        }
        skippedOnDecode = skipped

        if case .byteLevel? = decoder {
            byteLevelBytes = ByteLevelTokenBytes(count: vocabSize) { decodeStrings[$0] ?? model.token(of: $0) }
        } else {
            byteLevelBytes = nil
        }
    }

    /// Loads `tokenizer.json`, and `tokenizer_config.json` / `generation_config.json` when present, from a model
    /// directory.
    public convenience init(directory: URL) throws {
        let data = try TokenizerConfig.read(directory.appendingPathComponent("tokenizer.json"))
        try self.init(tokenizerJSON: data, config: try TokenizerConfig(directory: directory),
                      generationConfig: try GenerationConfig(directory: directory))
    }

    /// The id of a token string (added tokens first, then the model vocabulary).
    public func tokenToID(_ token: String) -> TokenID? { addedTokenIDs[token] ?? model.id(of: token) }

    /// The token string of an id, as stored in the vocabulary (byte-level or `▁` form, not decoded text).
    public func idToToken(_ id: TokenID) -> String? { addedTokensByID[id]?.content ?? model.token(of: id) }

    /// True for ids that `skipSpecialTokens` removes when decoding.
    public func isSpecial(_ id: TokenID) -> Bool { skippedOnDecode.contains(id) }
}
