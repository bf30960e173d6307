import ServingCore
import Synchronization

/// A Hugging Face `BPE` model: vocabulary, merge ranks, byte fallback, unknown token and a word cache.
///
/// Words arrive as UTF-8 bytes. In byte-level mode (a `ByteLevel` pre-tokenizer ran) each raw byte stands for its
/// GPT-2 alphabet character; otherwise each Unicode scalar is a starting symbol, and a scalar missing from the
/// vocabulary becomes its `<0xNN>` byte tokens (byte fallback) or the unknown token. Merges are applied lowest rank
/// first, leftmost first among equal ranks, with a heap (`BPEModel+Merge.swift`), so long words stay O(n log n).
final class BPEModel: Sendable {
    let vocab: [String: TokenID]
    /// Token string by id (nil for ids that only exist as added tokens).
    let tokens: [String?]
    /// `(left << 32 | right)` → `(rank << 32 | merged id)`.
    let merges: MergeTable
    let byteLevel: Bool
    let byteFallback: Bool
    let fuseUnknown: Bool
    let ignoreMerges: Bool
    let unknownID: TokenID?
    /// Byte-level mode: id of the alphabet character of each byte (-1 when missing).
    private let byteLevelIDs: [TokenID]
    /// Ids of single-scalar tokens.
    private let scalarIDs: [UInt32: TokenID]
    /// Ids of `<0x00>`…`<0xFF>` (-1 when missing).
    private let byteFallbackIDs: [TokenID]
    /// Whole-word lookup for `ignore_merges`, keyed by the raw UTF-8 bytes the token stands for.
    private let wholeWords: [WordKey: TokenID]
    private let cache = Mutex<[WordKey: [TokenID]]>([:])
    /// True when no token has a character other than `▁` right before a `▁`: then no merge can cross such a
    /// boundary, and a long SentencePiece word (Llama 2 has no pre-tokenizer) can be cut there and its segments
    /// tokenized independently, with the same result and a useful cache.
    let splitsAtMetaspace: Bool
    private static let cacheCapacity = 20_000
    private static let maxCachedWordLength = 256

    /// A model from `tokenizer.json`'s `model` section.
    convenience init(file model: TokenizerFile.Model, byteLevel: Bool) throws {
        guard (model.type ?? "BPE") == "BPE" else {
            throw TokenizerError.unsupported("model type \(model.type ?? "?") (only BPE)")
        }
        // NOTE: transformers writes both keys as "" when unused (Qwen2 files do); only a real prefix/suffix changes
        // how words are split into symbols.
        if !(model.continuing_subword_prefix ?? "").isEmpty || !(model.end_of_word_suffix ?? "").isEmpty {
            throw TokenizerError.unsupported("BPE continuing_subword_prefix / end_of_word_suffix")
        }
        if let dropout = model.dropout, dropout > 0 { throw TokenizerError.unsupported("BPE dropout") }
        let vocab = try HFJSON.required(model.vocab, "model.vocab")
        var tokens = [String?](repeating: nil, count: Int(vocab.values.max() ?? -1) + 1)
        for (token, id) in vocab {
            precondition(id >= 0, "negative token id")
            tokens[Int(id)] = token
        }
        self.init(
            vocab: vocab, tokens: tokens, merges: try Self.mergeRanks(model.merges ?? [], vocab: vocab),
            byteLevel: byteLevel, byteFallback: model.byte_fallback ?? false, fuseUnknown: model.fuse_unk ?? false,
            ignoreMerges: model.ignore_merges ?? false, unknownID: model.unk_token.flatMap { vocab[$0] })
    }

    /// A model from its parts; `tokens[id]` is the string of `id` (it may differ from `vocab`'s choice when a string
    /// appears twice, as GGUF vocabularies allow), `merges` maps `pairKey(left, right)` to `rank << 32 | merged id`.
    init(
        vocab: [String: TokenID], tokens: [String?], merges: [UInt64: UInt64], byteLevel: Bool, byteFallback: Bool,
        fuseUnknown: Bool, ignoreMerges: Bool, unknownID: TokenID?
    ) {
        self.vocab = vocab
        self.tokens = tokens
        self.byteLevel = byteLevel
        self.byteFallback = byteFallback
        self.fuseUnknown = fuseUnknown
        self.ignoreMerges = ignoreMerges
        self.unknownID = unknownID

        var scalarIDs: [UInt32: TokenID] = [:]
        var wholeWords: [WordKey: TokenID] = [:]
        // NOTE: from `tokens`, not `vocab`: String keys compare by canonical equivalence, so "ά" (U+03AC) and
        // "ά" (U+1F71), two tokens of Llama 2, are one key of `vocab`; scalars and bytes keep them apart.
        for case (let index, let token?) in tokens.enumerated() {
            let id = TokenID(index)
            let scalars = token.unicodeScalars
            if scalars.count == 1 { scalarIDs[scalars.first!.value] = id }
            if ignoreMerges {
                if byteLevel {
                    if let bytes = ByteLevelAlphabet.decode(token) { wholeWords[WordKey(bytes)] = id }
                } else {
                    wholeWords[WordKey(Array(token.utf8))] = id
                }
            }
        }
        splitsAtMetaspace =
            !byteLevel && vocab["\u{2581}"] != nil && !vocab.keys.contains(where: Self.hasInnerMetaspace)
        self.scalarIDs = scalarIDs
        self.wholeWords = wholeWords
        byteLevelIDs = ByteLevelAlphabet.scalars.map { scalarIDs[$0.value] ?? -1 }
        byteFallbackIDs = (0..<256).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return vocab["<0x" + (byte < 16 ? "0" : "") + hex + ">"] ?? -1
        }
        self.merges = MergeTable(merges)
    }

    private static func mergeRanks(_ list: [TokenizerFile.Merge], vocab: [String: TokenID]) throws -> [UInt64: UInt64] {
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(list.count)
        for (rank, merge) in list.enumerated() {
            guard let a = vocab[merge.left], let b = vocab[merge.right], let merged = vocab[merge.left + merge.right]
            else {
                throw TokenizerError.invalidJSON(
                    "merge \(merge.left) \(merge.right) uses a token missing from the vocab")
            }
            merges[Self.pairKey(a, b)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
        }
        return merges
    }

    @inline(__always)
    static func pairKey(_ a: TokenID, _ b: TokenID) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    func id(of token: String) -> TokenID? { vocab[token] }

    func token(of id: TokenID) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// Appends the ids of one pre-tokenized word (UTF-8 bytes, not empty) to `output`.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = wholeWords[WordKey(word)] {
            output.append(id)
            return
        }
        if splitsAtMetaspace {
            Self.forEachMetaspaceSegment(of: word) { tokenizeSegment($0, into: &output) }
        } else {
            tokenizeSegment(word, into: &output)
        }
    }

    /// BPE of one word or independent segment of a word, through the cache.
    private func tokenizeSegment(_ word: UnsafeBufferPointer<UInt8>, into output: inout [TokenID]) {
        let key = WordKey(word)
        if let hit = cache.withLock({ $0[key] }) {
            output.append(contentsOf: hit)
            return
        }
        var symbols = initialSymbols(word)
        Self.mergeAll(&symbols, merges: merges)
        output.append(contentsOf: symbols)
        if word.count <= Self.maxCachedWordLength {
            cache.withLock { cache in
                if cache.count < Self.cacheCapacity { cache[key] = symbols }
            }
        }
    }

    /// The starting symbols of a word, before any merge (HF `merge_word` without the merge loop).
    private func initialSymbols(_ word: UnsafeBufferPointer<UInt8>) -> [TokenID] {
        var symbols: [TokenID] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        var i = 0
        while i < word.count {
            let start = i
            let value: UInt32
            if byteLevel {
                let id = byteLevelIDs[Int(word[i])]
                i += 1
                if id >= 0 {
                    if pendingUnknown { symbols.append(unknownID!); pendingUnknown = false }
                    symbols.append(id)
                    continue
                }
                value = ByteLevelAlphabet.scalars[Int(word[start])].value
            } else {
                let decoded = UTF8Scalars.decode(word, at: i)
                i += decoded.length
                value = decoded.value
                if let id = scalarIDs[value] {
                    if pendingUnknown { symbols.append(unknownID!); pendingUnknown = false }
                    symbols.append(id)
                    continue
                }
            }
            if byteFallback, let ids = fallbackIDs(for: value) {
                // NOTE: HF does not flush a pending unknown token before byte-fallback symbols.
                symbols.append(contentsOf: ids)
                continue
            }
            guard let unknownID else { continue }
            if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
            pendingUnknown = true
        }
        if pendingUnknown { symbols.append(unknownID!) }
        return symbols
    }

    private func fallbackIDs(for value: UInt32) -> [TokenID]? {
        guard let scalar = Unicode.Scalar(value) else { return nil }
        var ids: [TokenID] = []
        for byte in String(scalar).utf8 {
            let id = byteFallbackIDs[Int(byte)]
            if id < 0 { return nil }
            ids.append(id)
        }
        return ids
    }
}
