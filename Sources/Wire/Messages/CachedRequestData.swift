import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.CachedRequestData`: a request the runner already holds — only what changed this step
    /// (vLLM's `CachedRequestData`, one entry per request rather than parallel lists).
    public struct CachedRequestData: Sendable, Equatable {
        public var reqID: String
        /// Resumed after preemption: `newBlockIDs` REPLACE the runner's block table; otherwise they are appended.
        public var resumed: Bool
        public var newBlockIDs: [UInt32]
        public var numComputedTokens: UInt32
        public var numOutputTokens: UInt32
        public var numScheduledTokens: UInt32
        /// Only with pipeline parallelism: tokens the last stage sampled in the previous step.
        public var newTokenIDs: [TokenID]
        /// Resumed requests: the full token sequence (prompt ++ outputs).
        public var allTokenIDs: [TokenID]

        public init(
            reqID: String = "", resumed: Bool = false, newBlockIDs: [UInt32] = [], numComputedTokens: UInt32 = 0,
            numOutputTokens: UInt32 = 0, numScheduledTokens: UInt32 = 0, newTokenIDs: [TokenID] = [],
            allTokenIDs: [TokenID] = []
        ) {
            self.reqID = reqID
            self.resumed = resumed
            self.newBlockIDs = newBlockIDs
            self.numComputedTokens = numComputedTokens
            self.numOutputTokens = numOutputTokens
            self.numScheduledTokens = numScheduledTokens
            self.newTokenIDs = newTokenIDs
            self.allTokenIDs = allTokenIDs
        }
    }
}

extension ApusV1.CachedRequestData: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__cached_request_data__init)

    func fill(_ c: inout Apus__V1__CachedRequestData, in arena: CArena) {
        c.req_id = arena.cString(reqID)
        c.resumed = cBool(resumed)
        c.n_new_block_ids = newBlockIDs.count
        c.new_block_ids = arena.copy(newBlockIDs)
        c.num_computed_tokens = numComputedTokens
        c.num_output_tokens = numOutputTokens
        c.num_scheduled_tokens = numScheduledTokens
        c.n_new_token_ids = newTokenIDs.count
        c.new_token_ids = arena.copy(newTokenIDs)
        c.n_all_token_ids = allTokenIDs.count
        c.all_token_ids = arena.copy(allTokenIDs)
    }

    init(c: Apus__V1__CachedRequestData) throws(WireDecodingError) {
        self.init(
            reqID: try CDecode.string(c.req_id, "CachedRequestData.req_id"),
            resumed: c.resumed != 0,
            newBlockIDs: try CDecode.array(c.new_block_ids, c.n_new_block_ids, "CachedRequestData.new_block_ids"),
            numComputedTokens: c.num_computed_tokens,
            numOutputTokens: c.num_output_tokens,
            numScheduledTokens: c.num_scheduled_tokens,
            newTokenIDs: try CDecode.array(c.new_token_ids, c.n_new_token_ids, "CachedRequestData.new_token_ids"),
            allTokenIDs: try CDecode.array(c.all_token_ids, c.n_all_token_ids, "CachedRequestData.all_token_ids"))
    }
}
