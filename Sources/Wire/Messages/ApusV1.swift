import ServingCore

/// The Swift side of the `apus.v1` protobuf package: one `Sendable` struct per message, named as in the .proto.
///
/// The structs, the enums and their C conversions are generated from the .proto files (`Generated/`, written by
/// scripts/gen-swift-wire.py through scripts/gen-proto.sh; `make proto-check` fails while they are stale). Field
/// names follow the proto (in camelCase, vLLM's vocabulary); scalar types mirror the proto's, so every value
/// round-trips exactly. Proto3 `has_x` flags are Swift optionals. Where ServingCore already has the type
/// (`SamplingParams`, `PositionLogprobs`, `FinishReason`, `StopReason`) the message uses it directly; the
/// generator's override table lists those mappings and ServingCore+Wire.swift holds the conversions they need.
/// `Frame` and `MetadataEntry` are not here: the frame codec handles them itself.
public enum ApusV1 {
    /// `apus.v1.SamplingParams` is ServingCore's type (`structured_output` is not carried: ServingCore has no
    /// such field yet, so it encodes as "" and is ignored when decoding).
    public typealias SamplingParams = ServingCore.SamplingParams
    /// `apus.v1.PositionLogprobs` is ServingCore's type.
    public typealias PositionLogprobs = ServingCore.PositionLogprobs
    /// `apus.v1.StatusCode`: the frame codec's `StatusCode` (one definition for the whole wire).
    public typealias StatusCode = Wire.StatusCode
}
