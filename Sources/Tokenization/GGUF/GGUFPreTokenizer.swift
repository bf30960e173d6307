/// llama.cpp's BPE pre-tokenizer types (`tokenizer.ggml.pre`) as `PreTokenizer`s, with the per-type switches
/// llama.cpp sets with them (`llm_tokenizer_bpe` and `llama_vocab::impl::load` in `src/llama-vocab.cpp`).
///
/// llama.cpp runs a type's regexes one after another, each splitting the pieces the previous one left and keeping
/// the text between matches (a `Split` with `Isolated` behaviour), then byte-encodes each piece. Its GPT-2, Llama 3
/// and Qwen2 regexes run as hand-written scanners; so do ours (`SplitScanner`), which give the same pieces: the
/// GPT-2 regex llama.cpp lists lacks the final `|\s+`, but its scanner (and the text kept between matches) make up
/// for it.
struct GGUFPreTokenizer {
    let preTokenizer: PreTokenizer
    /// Look a whole pre-tokenized word up in the vocabulary before merging (llama.cpp `ignore_merges`).
    var ignoreMerges = false
    /// Whether BOS is added when the file does not say (`add_bos_token`).
    var addBOS = false

    static let supported = [
        "default", "gpt-2", "phi-2", "mpt", "olmo", "llama3", "llama-v3", "llama-bpe", "dbrx", "smaug-bpe",
        "qwen2", "deepseek-r1-qwen", "stablelm2", "smollm", "starcoder", "refact", "codeshell", "command-r",
    ]

    /// The pre-tokenizer of `name`; a missing name is llama.cpp's `default` (which it loads with a warning).
    init(name: String?) throws {
        switch name ?? "default" {
        case "default":
            // [\p{P}\$\+<=>\^~\|]+ , GPT-2, \p{N}+ , [0-9][0-9][0-9]
            preTokenizer = .sequence([
                .split(try SplitPattern(regex: #"[\p{P}\$\+<=>\^~\|]+"#), .isolated),
                .split(.scanner(.gpt2), .isolated),
                .split(try SplitPattern(regex: #"\p{N}+"#), .isolated),
                .split(try SplitPattern(regex: "[0-9][0-9][0-9]"), .isolated),
                .byteLevel(addPrefixSpace: false, useRegex: false),
            ])
        case "gpt-2", "phi-2", "mpt", "olmo":
            preTokenizer = .byteLevel(addPrefixSpace: false, useRegex: true)
        case "llama3", "llama-v3", "llama-bpe":
            preTokenizer = Self.split(.llama3)
            ignoreMerges = true
            addBOS = true
        case "dbrx", "smaug-bpe":
            preTokenizer = Self.split(.llama3)
        case "qwen2", "deepseek-r1-qwen", "stablelm2":
            preTokenizer = Self.split(.qwen2)
        case "smollm", "starcoder", "refact", "codeshell", "command-r":
            // \p{N} , GPT-2: every digit alone, then the GPT-2 split of what is left.
            preTokenizer = .sequence([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)])
        case let other:
            throw TokenizerError.unsupported(
                "tokenizer.ggml.pre \"\(other)\" (supported: \(Self.supported.joined(separator: ", ")))")
        }
    }

    private static func split(_ kind: SplitScanner.Kind) -> PreTokenizer {
        .sequence([.split(.scanner(kind), .isolated), .byteLevel(addPrefixSpace: false, useRegex: false)])
    }
}
