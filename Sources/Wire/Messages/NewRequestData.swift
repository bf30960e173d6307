import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.NewRequestData`: a request the runner has not seen (or must rebuild), sent once in full
    /// (vLLM's `NewRequestData`).
    public struct NewRequestData: Sendable, Equatable {
        public var reqID: String
        public var promptTokenIDs: [TokenID]
        public var samplingParams: SamplingParams
        public var eosTokenID: TokenID?
        /// Every block, prefix-cache hits included (one KV cache group).
        public var blockIDs: [UInt32]
        public var numComputedTokens: UInt32
        public var numScheduledTokens: UInt32
        public var loraName: String
        /// Tokens already generated (a request re-sent after runner loss); empty for a fresh request.
        public var outputTokenIDs: [TokenID]

        public init(
            reqID: String = "", promptTokenIDs: [TokenID] = [], samplingParams: SamplingParams = SamplingParams(),
            eosTokenID: TokenID? = nil, blockIDs: [UInt32] = [], numComputedTokens: UInt32 = 0,
            numScheduledTokens: UInt32 = 0, loraName: String = "",
            outputTokenIDs: [TokenID] = []
        ) {
            self.reqID = reqID
            self.promptTokenIDs = promptTokenIDs
            self.samplingParams = samplingParams
            self.eosTokenID = eosTokenID
            self.blockIDs = blockIDs
            self.numComputedTokens = numComputedTokens
            self.numScheduledTokens = numScheduledTokens
            self.loraName = loraName
            self.outputTokenIDs = outputTokenIDs
        }
    }
}

/// An absent `sampling_params` decodes as `SamplingParams()`.
extension ApusV1.NewRequestData: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__new_request_data__init)

    func fill(_ c: inout Apus__V1__NewRequestData, in arena: CArena) {
        c.req_id = arena.cString(reqID)
        c.n_prompt_token_ids = promptTokenIDs.count
        c.prompt_token_ids = arena.copy(promptTokenIDs)
        c.sampling_params = arena.message(samplingParams)
        c.has_eos_token_id = cBool(eosTokenID != nil)
        c.eos_token_id = eosTokenID ?? 0
        c.n_block_ids = blockIDs.count
        c.block_ids = arena.copy(blockIDs)
        c.num_computed_tokens = numComputedTokens
        c.num_scheduled_tokens = numScheduledTokens
        c.lora_name = arena.cString(loraName)
        c.n_output_token_ids = outputTokenIDs.count
        c.output_token_ids = arena.copy(outputTokenIDs)
    }

    init(c: Apus__V1__NewRequestData) throws(WireDecodingError) {
        self.init(
            reqID: try CDecode.string(c.req_id, "NewRequestData.req_id"),
            promptTokenIDs: try CDecode.array(
                c.prompt_token_ids, c.n_prompt_token_ids, "NewRequestData.prompt_token_ids"),
            samplingParams: try CDecode.message(c.sampling_params) ?? SamplingParams(),
            eosTokenID: c.has_eos_token_id != 0 ? c.eos_token_id : nil,
            blockIDs: try CDecode.array(c.block_ids, c.n_block_ids, "NewRequestData.block_ids"),
            numComputedTokens: c.num_computed_tokens,
            numScheduledTokens: c.num_scheduled_tokens,
            loraName: try CDecode.string(c.lora_name, "NewRequestData.lora_name"),
            outputTokenIDs: try CDecode.array(
                c.output_token_ids, c.n_output_token_ids, "NewRequestData.output_token_ids"))
    }
}
