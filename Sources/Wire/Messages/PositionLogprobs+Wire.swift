import CApusProto
import ServingCore

/// `apus.v1.PositionLogprobs` ⇄ ServingCore's `PositionLogprobs`; both arrays are one memcpy each way.
/// `sampledRank` is clamped into the uint32 field.
extension PositionLogprobs: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__position_logprobs__init)

    func fill(_ c: inout Apus__V1__PositionLogprobs, in arena: CArena) {
        c.n_token_ids = tokenIDs.count
        c.token_ids = arena.copy(tokenIDs)
        c.n_logprobs = logprobs.count
        c.logprobs = arena.copy(logprobs)
        c.sampled_rank = cUInt32(sampledRank)
    }

    init(c: Apus__V1__PositionLogprobs) throws(WireDecodingError) {
        self.init(
            tokenIDs: try CDecode.array(c.token_ids, c.n_token_ids, "PositionLogprobs.token_ids"),
            logprobs: try CDecode.array(c.logprobs, c.n_logprobs, "PositionLogprobs.logprobs"),
            sampledRank: Int(c.sampled_rank))
    }
}

extension ApusV1 {
    /// `apus.v1.Logprob`: one (token, logprob) pair. Reserved in the schema; no message uses it yet.
    public struct Logprob: Sendable, Hashable {
        public var tokenID: TokenID
        public var logprob: Float

        public init(tokenID: TokenID = 0, logprob: Float = 0) {
            self.tokenID = tokenID
            self.logprob = logprob
        }
    }
}

extension ApusV1.Logprob: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__logprob__init)

    func fill(_ c: inout Apus__V1__Logprob, in arena: CArena) {
        c.token_id = tokenID
        c.logprob = logprob
    }

    init(c: Apus__V1__Logprob) throws(WireDecodingError) {
        self.init(tokenID: c.token_id, logprob: c.logprob)
    }
}

/// `apus.v1.FinishReason` ⇄ `FinishReason?` (NONE = still running = nil).
enum FinishReasonWire {
    static func cValue(_ reason: FinishReason?) -> Apus__V1__FinishReason {
        switch reason {
        case nil: APUS__V1__FINISH_REASON__FINISH_REASON_NONE
        case .stop: APUS__V1__FINISH_REASON__FINISH_REASON_STOP
        case .length: APUS__V1__FINISH_REASON__FINISH_REASON_LENGTH
        case .abort: APUS__V1__FINISH_REASON__FINISH_REASON_ABORT
        case .error: APUS__V1__FINISH_REASON__FINISH_REASON_ERROR
        }
    }

    /// A reason this build does not know (a newer peer's) still means "finished": it decodes as `.error`.
    static func value(_ c: Apus__V1__FinishReason) -> FinishReason? {
        switch c {
        case APUS__V1__FINISH_REASON__FINISH_REASON_NONE: nil
        case APUS__V1__FINISH_REASON__FINISH_REASON_STOP: .stop
        case APUS__V1__FINISH_REASON__FINISH_REASON_LENGTH: .length
        case APUS__V1__FINISH_REASON__FINISH_REASON_ABORT: .abort
        default: .error
        }
    }
}
