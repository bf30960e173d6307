import CApusProto
import ServingCore

extension ApusV1 {
    /// `apus.v1.RequestLogprobs`: one request's logprobs, one entry per position. `ModelRunnerOutput` exposes
    /// them as `[[PositionLogprobs]]`; this struct exists for completeness and for the conversion helpers.
    public struct RequestLogprobs: Sendable, Equatable {
        public var positions: [PositionLogprobs]
        public init(positions: [PositionLogprobs] = []) { self.positions = positions }
    }

    /// `apus.v1.ModelRunnerOutput`: the runner's answer to one `SchedulerOutput` (vLLM's `ModelRunnerOutput`).
    ///
    /// `reqIDs`, `sampledTokenIDs`, `logprobs` and `promptLogprobs` are parallel lists, one entry per scheduled
    /// request; the logprob lists may be empty when no request asked for them.
    public struct ModelRunnerOutput: Sendable, Equatable {
        public var stepID: UInt64
        public var incarnationID: String
        public var reqIDs: [String]
        public var sampledTokenIDs: [[TokenID]]
        public var logprobs: [[PositionLogprobs]]
        public var promptLogprobs: [[PositionLogprobs]]
        /// A pipeline stage before the last: the hidden states for the next stage.
        public var intermediateTensors: IntermediateTensors?

        public init(
            stepID: UInt64 = 0, incarnationID: String = "", reqIDs: [String] = [], sampledTokenIDs: [[TokenID]] = [],
            logprobs: [[PositionLogprobs]] = [], promptLogprobs: [[PositionLogprobs]] = [],
            intermediateTensors: IntermediateTensors? = nil
        ) {
            self.stepID = stepID
            self.incarnationID = incarnationID
            self.reqIDs = reqIDs
            self.sampledTokenIDs = sampledTokenIDs
            self.logprobs = logprobs
            self.promptLogprobs = promptLogprobs
            self.intermediateTensors = intermediateTensors
        }
    }
}

extension ApusV1.RequestLogprobs: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__request_logprobs__init)

    func fill(_ c: inout Apus__V1__RequestLogprobs, in arena: CArena) {
        c.n_positions = positions.count
        c.positions = arena.messages(positions)
    }

    init(c: Apus__V1__RequestLogprobs) throws(WireDecodingError) {
        self.init(positions: try CDecode.messages(c.positions, c.n_positions, "RequestLogprobs.positions"))
    }

    /// `[[PositionLogprobs]]` as a repeated RequestLogprobs.
    static func cLists(
        _ lists: [[PositionLogprobs]], in arena: CArena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Apus__V1__RequestLogprobs>?>? {
        arena.messages(count: lists.count, descriptor: descriptor) { (c: inout Apus__V1__RequestLogprobs, i) in
            c.n_positions = lists[i].count
            c.positions = arena.messages(lists[i])
        }
    }

    /// A repeated RequestLogprobs as `[[PositionLogprobs]]`.
    static func lists(
        _ p: UnsafePointer<UnsafeMutablePointer<Apus__V1__RequestLogprobs>?>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [[PositionLogprobs]] {
        try CDecode.each(p, count, field) { (c) throws(WireDecodingError) in
            try CDecode.messages(c.positions, c.n_positions, field)
        }
    }
}

extension ApusV1.ModelRunnerOutput: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__model_runner_output__init)

    func fill(_ c: inout Apus__V1__ModelRunnerOutput, in arena: CArena) {
        c.step_id = stepID
        c.incarnation_id = arena.cString(incarnationID)
        c.n_req_ids = reqIDs.count
        c.req_ids = arena.cStrings(reqIDs)
        c.n_sampled_token_ids = sampledTokenIDs.count
        c.sampled_token_ids = ApusV1.TokenIDList.cLists(sampledTokenIDs, in: arena)
        c.n_logprobs = logprobs.count
        c.logprobs = ApusV1.RequestLogprobs.cLists(logprobs, in: arena)
        c.n_prompt_logprobs = promptLogprobs.count
        c.prompt_logprobs = ApusV1.RequestLogprobs.cLists(promptLogprobs, in: arena)
        c.intermediate_tensors = intermediateTensors.map { arena.message($0) }
    }

    init(c: Apus__V1__ModelRunnerOutput) throws(WireDecodingError) {
        self.init(
            stepID: c.step_id,
            incarnationID: try CDecode.string(c.incarnation_id, "ModelRunnerOutput.incarnation_id"),
            reqIDs: try CDecode.strings(c.req_ids, c.n_req_ids, "ModelRunnerOutput.req_ids"),
            sampledTokenIDs: try ApusV1.TokenIDList.lists(
                c.sampled_token_ids, c.n_sampled_token_ids, "ModelRunnerOutput.sampled_token_ids"),
            logprobs: try ApusV1.RequestLogprobs.lists(c.logprobs, c.n_logprobs, "ModelRunnerOutput.logprobs"),
            promptLogprobs: try ApusV1.RequestLogprobs.lists(
                c.prompt_logprobs, c.n_prompt_logprobs, "ModelRunnerOutput.prompt_logprobs"),
            intermediateTensors: try CDecode.message(c.intermediate_tensors))
    }
}
