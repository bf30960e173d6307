import ModelFiles
import ServingCore

/// The tokenizer in a GGUF file's metadata (`tokenizer.ggml.*`, `tokenizer.chat_template`), read and checked.
///
/// Only reads: which tokenizer this makes is `Tokenizer+GGUF.swift`'s business. Every key is checked for its type
/// and every id against the vocabulary, so a malformed file gives a `TokenizerError.invalidGGUF` naming the key.
struct GGUFVocabulary {
    /// `tokenizer.ggml.model`: byte-level BPE with merges, or SentencePiece BPE with scores.
    enum Model: String { case gpt2, llama }

    /// `tokenizer.ggml.token_type` (llama.cpp's `llama_token_type`); values it does not know read as undefined.
    enum TokenType: Int {
        case undefined = 0, normal, unknown, control, userDefined, unused, byte
    }

    var model: Model
    /// `tokenizer.ggml.pre`, llama.cpp's name for the pre-tokenizer (BPE only).
    var pre: String?
    /// Token strings by id; an empty one reads as `[EMPTY_<id>]`, as llama.cpp does.
    var tokens: [String]
    var tokenTypes: [TokenType]
    /// SentencePiece scores (0 where the file has none).
    var scores: [Float]
    /// BPE merges in rank order, each `"a b"` cut at its first space after the first character.
    var merges: [(String, String)]
    var bosTokenID: TokenID?
    var eosTokenID: TokenID?
    var eotTokenID: TokenID?
    var eomTokenID: TokenID?
    var unknownTokenID: TokenID?
    var paddingTokenID: TokenID?
    /// `add_bos_token` / `add_eos_token` / `add_space_prefix` when the file sets them.
    var addBOS: Bool?
    var addEOS: Bool?
    var addSpacePrefix: Bool?
    var chatTemplate: String?
    /// `tokenizer.chat_template.<name>` entries.
    var namedChatTemplates: [String: String]
    /// Tokens llama.cpp ends generation on because of their text (`<|im_end|>`, `<|eot_id|>`, …).
    var endOfGenerationIDs: [TokenID] = []

    static let tokensKey = "tokenizer.ggml.tokens"
    static let mergesKey = "tokenizer.ggml.merges"

    init(metadata values: [String: GGUFValue]) throws {
        let metadata = GGUFMetadata(values: values)
        let modelName = try metadata.string("tokenizer.ggml.model")
        guard let modelName else { throw TokenizerError.invalidGGUF(key: "tokenizer.ggml.model", reason: "missing") }
        guard let model = Model(rawValue: modelName) else {
            throw TokenizerError.unsupported("tokenizer.ggml.model \"\(modelName)\" (only gpt2 and llama)")
        }
        self.model = model
        pre = try metadata.string("tokenizer.ggml.pre")

        guard let tokens = try metadata.strings(Self.tokensKey), !tokens.isEmpty else {
            throw TokenizerError.invalidGGUF(key: Self.tokensKey, reason: "missing or empty")
        }
        self.tokens = tokens.enumerated().map { $1.isEmpty ? "[EMPTY_\($0)]" : $1 }
        let types = try metadata.ints("tokenizer.ggml.token_type")
        try metadata.checkCount(types, "tokenizer.ggml.token_type", atLeast: tokens.count)
        tokenTypes = (0..<tokens.count).map { id in types.map { TokenType(rawValue: $0[id]) ?? .undefined } ?? .normal }
        let scores = try metadata.floats("tokenizer.ggml.scores")
        try metadata.checkCount(scores, "tokenizer.ggml.scores", atLeast: tokens.count)
        self.scores = scores.map { Array($0.prefix(tokens.count)) } ?? [Float](repeating: 0, count: tokens.count)
        merges = []
        if model == .gpt2 {
            guard let lines = try metadata.strings(Self.mergesKey) else {
                throw TokenizerError.invalidGGUF(key: Self.mergesKey, reason: "missing (a gpt2 tokenizer needs merges)")
            }
            merges = try lines.enumerated().map { try Self.merge($1, index: $0) }
        }

        let count = tokens.count
        func id(_ key: String) throws -> TokenID? { try metadata.tokenID(key, vocabSize: count).map { TokenID($0) } }
        bosTokenID = try id("tokenizer.ggml.bos_token_id")
        eosTokenID = try id("tokenizer.ggml.eos_token_id")
        eotTokenID = try id("tokenizer.ggml.eot_token_id")
        eomTokenID = try id("tokenizer.ggml.eom_token_id")
        unknownTokenID = try id("tokenizer.ggml.unknown_token_id")
        paddingTokenID = try id("tokenizer.ggml.padding_token_id")
        addBOS = try metadata.bool("tokenizer.ggml.add_bos_token")
        addEOS = try metadata.bool("tokenizer.ggml.add_eos_token")
        addSpacePrefix = try metadata.bool("tokenizer.ggml.add_space_prefix")
        chatTemplate = try metadata.string("tokenizer.chat_template")
        namedChatTemplates = [:]
        let prefix = "tokenizer.chat_template."
        for key in values.keys where key.hasPrefix(prefix) {
            namedChatTemplates[String(key.dropFirst(prefix.count))] = try metadata.string(key)
        }
        endOfGenerationIDs = applyTextRules()
    }

    /// `"a b"` → `("a", "b")`, cut at the first space after the first byte (llama.cpp's `find(' ', 1)`).
    private static func merge(_ line: String, index: Int) throws -> (String, String) {
        let utf8 = Array(line.utf8)
        guard utf8.count >= 3, let space = utf8[1...].firstIndex(of: 0x20), space + 1 < utf8.count else {
            throw TokenizerError.invalidGGUF(key: mergesKey, reason: "entry \(index) \"\(line)\" is not \"a b\"")
        }
        return (String(decoding: utf8[..<space], as: UTF8.self), String(decoding: utf8[(space + 1)...], as: UTF8.self))
    }
}
