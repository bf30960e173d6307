import CApusProto

extension ApusV1 {
    /// `apus.v1.SchedulerOutput`: one engine step's decision, the payload of Runner/Execute
    /// (vLLM's `SchedulerOutput`; per-request `num_scheduled_tokens` lives in each request entry).
    public struct SchedulerOutput: Sendable, Equatable {
        public var stepID: UInt64
        public var scheduledNewReqs: [NewRequestData]
        public var scheduledCachedReqs: [CachedRequestData]
        public var finishedReqIDs: [String]
        /// Pipeline stages after the first: the previous stage's hidden states.
        public var intermediateTensors: IntermediateTensors?

        public init(
            stepID: UInt64 = 0, scheduledNewReqs: [NewRequestData] = [], scheduledCachedReqs: [CachedRequestData] = [],
            finishedReqIDs: [String] = [], intermediateTensors: IntermediateTensors? = nil
        ) {
            self.stepID = stepID
            self.scheduledNewReqs = scheduledNewReqs
            self.scheduledCachedReqs = scheduledCachedReqs
            self.finishedReqIDs = finishedReqIDs
            self.intermediateTensors = intermediateTensors
        }
    }
}

extension ApusV1.SchedulerOutput: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__scheduler_output__init)

    func fill(_ c: inout Apus__V1__SchedulerOutput, in arena: CArena) {
        c.step_id = stepID
        c.n_scheduled_new_reqs = scheduledNewReqs.count
        c.scheduled_new_reqs = arena.messages(scheduledNewReqs)
        c.n_scheduled_cached_reqs = scheduledCachedReqs.count
        c.scheduled_cached_reqs = arena.messages(scheduledCachedReqs)
        c.n_finished_req_ids = finishedReqIDs.count
        c.finished_req_ids = arena.cStrings(finishedReqIDs)
        c.intermediate_tensors = intermediateTensors.map { arena.message($0) }
    }

    init(c: Apus__V1__SchedulerOutput) throws(WireDecodingError) {
        self.init(
            stepID: c.step_id,
            scheduledNewReqs: try CDecode.messages(
                c.scheduled_new_reqs, c.n_scheduled_new_reqs, "SchedulerOutput.scheduled_new_reqs"),
            scheduledCachedReqs: try CDecode.messages(
                c.scheduled_cached_reqs, c.n_scheduled_cached_reqs, "SchedulerOutput.scheduled_cached_reqs"),
            finishedReqIDs: try CDecode.strings(
                c.finished_req_ids, c.n_finished_req_ids, "SchedulerOutput.finished_req_ids"),
            intermediateTensors: try CDecode.message(c.intermediate_tensors))
    }
}
