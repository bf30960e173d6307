import CApusProto
import ServingCore

/// `apus.v1.SamplingParams` ⇄ ServingCore's `SamplingParams`.
///
/// `has_x` flags carry the optionals; `logit_bias` is sent sorted by token id so equal params encode to
/// equal bytes; counts (`n`, `max_tokens`, …) are clamped into their uint32 fields (a validated value always
/// fits). A list in `allowed_token_ids` without `has_allowed_token_ids` (a careless C client) still counts as set.
extension SamplingParams: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__sampling_params__init)

    func fill(_ c: inout Apus__V1__SamplingParams, in arena: CArena) {
        c.n = cUInt32(n)
        c.temperature = temperature
        c.top_p = topP
        c.top_k = cInt32(topK)
        c.min_p = minP
        c.presence_penalty = presencePenalty
        c.frequency_penalty = frequencyPenalty
        c.repetition_penalty = repetitionPenalty
        c.has_seed = cBool(seed != nil)
        c.seed = seed ?? 0
        c.max_tokens = cUInt32(maxTokens)
        c.min_tokens = cUInt32(minTokens)
        c.n_stop_token_ids = stopTokenIDs.count
        c.stop_token_ids = arena.copy(stopTokenIDs)
        c.ignore_eos = cBool(ignoreEOS)
        c.has_logprobs = cBool(logprobs != nil)
        c.logprobs = cUInt32(logprobs ?? 0)
        c.has_prompt_logprobs = cBool(promptLogprobs != nil)
        c.prompt_logprobs = cUInt32(promptLogprobs ?? 0)
        if !logitBias.isEmpty {
            let biases = logitBias.sorted { $0.key < $1.key }.map { ApusV1.TokenBias(tokenID: $0.key, bias: $0.value) }
            c.n_logit_bias = biases.count
            c.logit_bias = arena.messages(biases)
        }
        c.has_allowed_token_ids = cBool(allowedTokenIDs != nil)
        c.n_allowed_token_ids = allowedTokenIDs?.count ?? 0
        c.allowed_token_ids = allowedTokenIDs.flatMap { arena.copy($0) }
        c.n_bad_words = badWords.count
        c.bad_words = ApusV1.TokenIDList.cLists(badWords, in: arena)
        c.n_stop = stop.count
        c.stop = arena.cStrings(stop)
        c.include_stop_str_in_output = cBool(includeStopStrInOutput)
        c.skip_special_tokens = cBool(skipSpecialTokens)
    }

    init(c: Apus__V1__SamplingParams) throws(WireDecodingError) {
        self.init()
        n = Int(c.n)
        temperature = c.temperature
        topP = c.top_p
        topK = Int(c.top_k)
        minP = c.min_p
        presencePenalty = c.presence_penalty
        frequencyPenalty = c.frequency_penalty
        repetitionPenalty = c.repetition_penalty
        seed = c.has_seed != 0 ? c.seed : nil
        maxTokens = Int(c.max_tokens)
        minTokens = Int(c.min_tokens)
        stopTokenIDs = try CDecode.array(c.stop_token_ids, c.n_stop_token_ids, "SamplingParams.stop_token_ids")
        ignoreEOS = c.ignore_eos != 0
        logprobs = c.has_logprobs != 0 ? Int(c.logprobs) : nil
        promptLogprobs = c.has_prompt_logprobs != 0 ? Int(c.prompt_logprobs) : nil
        let biases = try CDecode.messages(
            c.logit_bias, c.n_logit_bias, "SamplingParams.logit_bias", as: ApusV1.TokenBias.self)
        logitBias = Dictionary(biases.map { ($0.tokenID, $0.bias) }, uniquingKeysWith: { _, last in last })
        if c.has_allowed_token_ids != 0 || c.n_allowed_token_ids > 0 {
            allowedTokenIDs = try CDecode.array(
                c.allowed_token_ids, c.n_allowed_token_ids, "SamplingParams.allowed_token_ids")
        }
        badWords = try ApusV1.TokenIDList.lists(c.bad_words, c.n_bad_words, "SamplingParams.bad_words")
        stop = try CDecode.strings(c.stop, c.n_stop, "SamplingParams.stop")
        includeStopStrInOutput = c.include_stop_str_in_output != 0
        skipSpecialTokens = c.skip_special_tokens != 0
        // NOTE: structured_output is validated but dropped: ServingCore.SamplingParams has no field for it yet.
        _ = try CDecode.string(c.structured_output, "SamplingParams.structured_output")
    }
}

extension ApusV1 {
    /// `apus.v1.TokenBias`: one `logit_bias` entry.
    public struct TokenBias: Sendable, Hashable {
        public var tokenID: TokenID
        public var bias: Float

        public init(tokenID: TokenID = 0, bias: Float = 0) {
            self.tokenID = tokenID
            self.bias = bias
        }
    }

    /// `apus.v1.TokenIDList`: one token sequence (a bad word, one request's sampled ids).
    public struct TokenIDList: Sendable, Hashable {
        public var tokenIDs: [TokenID]

        public init(tokenIDs: [TokenID] = []) { self.tokenIDs = tokenIDs }
    }
}

extension ApusV1.TokenBias: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__token_bias__init)

    func fill(_ c: inout Apus__V1__TokenBias, in arena: CArena) {
        c.token_id = tokenID
        c.bias = bias
    }

    init(c: Apus__V1__TokenBias) throws(WireDecodingError) {
        self.init(tokenID: c.token_id, bias: c.bias)
    }
}

extension ApusV1.TokenIDList: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__token_idlist__init)

    func fill(_ c: inout Apus__V1__TokenIDList, in arena: CArena) {
        c.n_token_ids = tokenIDs.count
        c.token_ids = arena.copy(tokenIDs)
    }

    init(c: Apus__V1__TokenIDList) throws(WireDecodingError) {
        self.init(tokenIDs: try CDecode.array(c.token_ids, c.n_token_ids, "TokenIDList.token_ids"))
    }

    /// `[[TokenID]]` as a repeated TokenIDList, without wrapping each list in a Swift struct first.
    static func cLists(
        _ lists: [[TokenID]], in arena: CArena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Apus__V1__TokenIDList>?>? {
        arena.messages(count: lists.count, descriptor: descriptor) { (c: inout Apus__V1__TokenIDList, i) in
            c.n_token_ids = lists[i].count
            c.token_ids = arena.copy(lists[i])
        }
    }

    /// A repeated TokenIDList as `[[TokenID]]`.
    static func lists(
        _ p: UnsafePointer<UnsafeMutablePointer<Apus__V1__TokenIDList>?>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [[TokenID]] {
        try CDecode.each(p, count, field) { (c) throws(WireDecodingError) in
            try CDecode.array(c.token_ids, c.n_token_ids, field)
        }
    }
}
