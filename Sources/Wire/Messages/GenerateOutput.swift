import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.GenerateOutput`: one streamed delta of a request (new tokens since the last output).
    public struct GenerateOutput: Sendable, Equatable {
        public var requestID: String
        public var newTokenIDs: [TokenID]
        public var newLogprobs: [PositionLogprobs]
        public var promptLogprobs: [PositionLogprobs]
        /// nil while the request is still running.
        public var finishReason: FinishReason?
        /// The stop token id or stop string that finished it; nil for EOS or while running.
        public var stopReason: StopReason?
        /// Prompt tokens served from the prefix cache (first output only).
        public var numCachedTokens: UInt32
        /// Engine monotonic time of the step that produced this output, microseconds.
        public var engineTimestampUS: UInt64
        public var engineID: String
        /// Detail when `finishReason == .error`.
        public var errorMessage: String

        public init(
            requestID: String = "", newTokenIDs: [TokenID] = [], newLogprobs: [PositionLogprobs] = [],
            promptLogprobs: [PositionLogprobs] = [], finishReason: FinishReason? = nil, stopReason: StopReason? = nil,
            numCachedTokens: UInt32 = 0, engineTimestampUS: UInt64 = 0, engineID: String = "", errorMessage: String = ""
        ) {
            self.requestID = requestID
            self.newTokenIDs = newTokenIDs
            self.newLogprobs = newLogprobs
            self.promptLogprobs = promptLogprobs
            self.finishReason = finishReason
            self.stopReason = stopReason
            self.numCachedTokens = numCachedTokens
            self.engineTimestampUS = engineTimestampUS
            self.engineID = engineID
            self.errorMessage = errorMessage
        }
    }
}

extension ApusV1.GenerateOutput: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__generate_output__init)

    func fill(_ c: inout Apus__V1__GenerateOutput, in arena: CArena) {
        c.request_id = arena.cString(requestID)
        c.n_new_token_ids = newTokenIDs.count
        c.new_token_ids = arena.copy(newTokenIDs)
        c.n_new_logprobs = newLogprobs.count
        c.new_logprobs = arena.messages(newLogprobs)
        c.n_prompt_logprobs = promptLogprobs.count
        c.prompt_logprobs = arena.messages(promptLogprobs)
        c.finish_reason = FinishReasonWire.cValue(finishReason)
        switch stopReason {
        case nil:
            c.stop_reason_case = APUS__V1__GENERATE_OUTPUT__STOP_REASON__NOT_SET
        case .tokenID(let id):
            c.stop_reason_case = APUS__V1__GENERATE_OUTPUT__STOP_REASON_STOP_TOKEN_ID
            c.stop_token_id = id
        case .string(let s):
            c.stop_reason_case = APUS__V1__GENERATE_OUTPUT__STOP_REASON_STOP_STRING
            c.stop_string = arena.cString(s)
        }
        c.num_cached_tokens = numCachedTokens
        c.engine_timestamp_us = engineTimestampUS
        c.engine_id = arena.cString(engineID)
        c.error_message = arena.cString(errorMessage)
    }

    init(c: Apus__V1__GenerateOutput) throws(WireDecodingError) {
        requestID = try CDecode.string(c.request_id, "GenerateOutput.request_id")
        newTokenIDs = try CDecode.array(c.new_token_ids, c.n_new_token_ids, "GenerateOutput.new_token_ids")
        newLogprobs = try CDecode.messages(c.new_logprobs, c.n_new_logprobs, "GenerateOutput.new_logprobs")
        promptLogprobs = try CDecode.messages(c.prompt_logprobs, c.n_prompt_logprobs, "GenerateOutput.prompt_logprobs")
        finishReason = FinishReasonWire.value(c.finish_reason)
        switch c.stop_reason_case {
        case APUS__V1__GENERATE_OUTPUT__STOP_REASON_STOP_TOKEN_ID:
            stopReason = .tokenID(c.stop_token_id)
        case APUS__V1__GENERATE_OUTPUT__STOP_REASON_STOP_STRING:
            stopReason = .string(try CDecode.string(c.stop_string, "GenerateOutput.stop_string"))
        default:
            stopReason = nil
        }
        numCachedTokens = c.num_cached_tokens
        engineTimestampUS = c.engine_timestamp_us
        engineID = try CDecode.string(c.engine_id, "GenerateOutput.engine_id")
        errorMessage = try CDecode.string(c.error_message, "GenerateOutput.error_message")
    }
}
