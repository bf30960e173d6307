import CApusProto
import ServingCore

// The hand-written half of the wire mapping for ServingCore types: the conversions the generated code
// (Generated/, see the override table in scripts/gen-swift-wire.py) calls where a proto field's Swift side is a
// domain type the schema cannot describe.

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

/// `apus.v1.StructuredOutputKind` ⇄ `StructuredOutputsParams.Kind`. NONE or a kind this build does not know is a
/// decoding error: a request must never lose its constraint on the way.
enum StructuredOutputKindWire {
    static func cValue(_ kind: StructuredOutputsParams.Kind) -> Apus__V1__StructuredOutputKind {
        switch kind {
        case .json: APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_JSON
        case .regex: APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_REGEX
        case .choice: APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_CHOICE
        case .grammar: APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_GRAMMAR
        case .jsonObject: APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_JSON_OBJECT
        }
    }

    static func value(
        _ c: Apus__V1__StructuredOutputKind, _ field: StaticString
    ) throws(WireDecodingError) -> StructuredOutputsParams.Kind {
        switch c {
        case APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_JSON: .json
        case APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_REGEX: .regex
        case APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_CHOICE: .choice
        case APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_GRAMMAR: .grammar
        case APUS__V1__STRUCTURED_OUTPUT_KIND__STRUCTURED_OUTPUT_KIND_JSON_OBJECT: .jsonObject
        default: throw WireDecodingError("\(field): unknown structured output kind \(c.rawValue)")
        }
    }
}

/// `SamplingParams.logitBias` ⇄ `repeated TokenBias logit_bias`.
extension ApusV1.TokenBias {
    /// The entries sorted by token id, so equal params encode to equal bytes.
    static func entries(_ logitBias: [TokenID: Float]) -> [ApusV1.TokenBias] {
        guard !logitBias.isEmpty else { return [] }
        return logitBias.sorted { $0.key < $1.key }.map { ApusV1.TokenBias(tokenID: $0.key, bias: $0.value) }
    }

    /// A token listed twice keeps its last bias.
    static func dictionary(_ entries: [ApusV1.TokenBias]) -> [TokenID: Float] {
        Dictionary(entries.map { ($0.tokenID, $0.bias) }, uniquingKeysWith: { _, last in last })
    }
}

extension ApusV1.GenerateOutput {
    /// `finish_reason` (field 5) of an encoded output, read without decoding the rest: what a forwarder needs to
    /// know whether the request ended. Throws `WireDecodingError` on malformed bytes.
    public static func finishReason(encoded bytes: [UInt8]) throws -> FinishReason? {
        var reason: UInt64 = 0
        try bytes.withUnsafeBytes { raw in
            var reader = ProtobufFieldReader(raw)
            while let (field, type) = try reader.nextField() {
                if field == 5 && type == .varint { reason = try reader.varint() } else { try reader.skip(type) }
            }
        }
        return FinishReasonWire.value(Apus__V1__FinishReason(rawValue: UInt32(truncatingIfNeeded: reason)))
    }
}
