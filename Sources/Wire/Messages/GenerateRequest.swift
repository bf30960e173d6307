import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.GenerateRequest`: one request as the api sends it to an engine (token ids only).
    public struct GenerateRequest: Sendable, Equatable {
        public var requestID: String
        public var promptTokenIDs: [TokenID]
        public var samplingParams: SamplingParams
        /// nil = the model has no EOS token (or the engine uses its own).
        public var eosTokenID: TokenID?
        /// Lower is more urgent (`--scheduling-policy priority`).
        public var priority: Int32
        /// Mixed into block 0's hash so tenants do not share prefix-cache entries.
        public var cacheSalt: String
        /// Reserved for LoRA adapters.
        public var loraName: String
        /// Client-visible arrival time, unix microseconds.
        public var arrivalTimeUS: UInt64
        /// Routing hint for the router's session policy.
        public var sessionKey: String

        public init(
            requestID: String = "", promptTokenIDs: [TokenID] = [], samplingParams: SamplingParams = SamplingParams(),
            eosTokenID: TokenID? = nil, priority: Int32 = 0, cacheSalt: String = "", loraName: String = "",
            arrivalTimeUS: UInt64 = 0, sessionKey: String = ""
        ) {
            self.requestID = requestID
            self.promptTokenIDs = promptTokenIDs
            self.samplingParams = samplingParams
            self.eosTokenID = eosTokenID
            self.priority = priority
            self.cacheSalt = cacheSalt
            self.loraName = loraName
            self.arrivalTimeUS = arrivalTimeUS
            self.sessionKey = sessionKey
        }
    }
}

/// An absent `sampling_params` decodes as `SamplingParams()` (vLLM's defaults), not as proto zeros.
extension ApusV1.GenerateRequest: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__generate_request__init)

    func fill(_ c: inout Apus__V1__GenerateRequest, in arena: CArena) {
        c.request_id = arena.cString(requestID)
        c.n_prompt_token_ids = promptTokenIDs.count
        c.prompt_token_ids = arena.copy(promptTokenIDs)
        c.sampling_params = arena.message(samplingParams)
        c.has_eos_token_id = cBool(eosTokenID != nil)
        c.eos_token_id = eosTokenID ?? 0
        c.priority = priority
        c.cache_salt = arena.cString(cacheSalt)
        c.lora_name = arena.cString(loraName)
        c.arrival_time_us = arrivalTimeUS
        c.session_key = arena.cString(sessionKey)
    }

    init(c: Apus__V1__GenerateRequest) throws(WireDecodingError) {
        self.init(
            requestID: try CDecode.string(c.request_id, "GenerateRequest.request_id"),
            promptTokenIDs: try CDecode.array(
                c.prompt_token_ids, c.n_prompt_token_ids, "GenerateRequest.prompt_token_ids"),
            samplingParams: try CDecode.message(c.sampling_params) ?? SamplingParams(),
            eosTokenID: c.has_eos_token_id != 0 ? c.eos_token_id : nil,
            priority: c.priority,
            cacheSalt: try CDecode.string(c.cache_salt, "GenerateRequest.cache_salt"),
            loraName: try CDecode.string(c.lora_name, "GenerateRequest.lora_name"),
            arrivalTimeUS: c.arrival_time_us,
            sessionKey: try CDecode.string(c.session_key, "GenerateRequest.session_key"))
    }
}
