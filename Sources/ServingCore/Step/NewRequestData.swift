/// A request the runners have not seen: everything a runner needs to hold it, sent once (vLLM `NewRequestData`;
/// docs/architecture.md §4.3).
///
/// The engine-core also sends a running request this way when a runner restarted and lost it; then
/// `outputTokenIDs` carries what it generated so far.
public struct NewRequestData: Sendable, Hashable {
    public var reqID: String
    public var promptTokenIDs: [TokenID]
    public var samplingParams: SamplingParams
    /// The token that ends the request (nil under `ignore_eos`); the sampler masks it under `min_tokens`.
    public var eosTokenID: TokenID?
    /// Every block of the request, prefix-cache hits included (one KV cache group).
    public var blockIDs: [Int]
    /// Tokens already in the KV cache (the prefix hit, or everything computed before a runner restart).
    public var numComputedTokens: Int
    /// The adapter the request runs with; nil for the base model.
    public var lora: LoRARequest?
    /// Tokens generated before a runner restart; they follow the prompt and count as outputs (penalties,
    /// `min_tokens`, seeded positions). Empty for a fresh request.
    public var outputTokenIDs: [TokenID]

    public init(
        reqID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
        eosTokenID: TokenID? = nil, blockIDs: [Int], numComputedTokens: Int = 0, lora: LoRARequest? = nil,
        outputTokenIDs: [TokenID] = []
    ) {
        self.reqID = reqID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.eosTokenID = eosTokenID
        self.blockIDs = blockIDs
        self.numComputedTokens = numComputedTokens
        self.lora = lora
        self.outputTokenIDs = outputTokenIDs
    }

    /// Prompt ++ outputs: every token the runner knows for the request.
    public var allTokenIDs: [TokenID] { promptTokenIDs + outputTokenIDs }
}
