import FuzzSupport
import ServingCore
import Wire

/// Every `apus.v1` message decoder, each checked the same way on untrusted bytes: decoding may throw but must not
/// crash, and a decoded message must re-encode canonically (encode, decode and encode again give the same bytes;
/// compared as bytes so NaN floats do not count as changes). Messages a service converts further (the step
/// protocol's `SchedulerOutput` and `ModelRunnerOutput`, sampling params it validates) go through those
/// conversions too.
public enum WireMessageDecoders {
    /// One decoder: the proto name and the check above for its type.
    public struct Entry: Sendable {
        public let name: String
        public let check: @Sendable (UnsafeRawBufferPointer) -> Void
    }

    /// Decodes `bytes` as message `index % all.count`.
    public static func check(_ bytes: UnsafeRawBufferPointer, as index: Int) {
        all[index % all.count].check(bytes)
    }

    public static let all: [Entry] = [
        entry(ApusV1.TokenBias.self),
        entry(ApusV1.TokenIDList.self),
        entry(SamplingParams.self) { params in _ = try? params.validate() },
        entry(StructuredOutputsParams.self) { params in _ = try? params.validate() },
        entry(ApusV1.GenerateRequest.self) { request in _ = try? request.samplingParams.validate() },
        entry(ApusV1.Logprob.self),
        entry(PositionLogprobs.self),
        entry(ApusV1.GenerateOutput.self),
        entry(ApusV1.AbortRequest.self),
        entry(ApusV1.AbortResponse.self),
        entry(ApusV1.GetLoadRequest.self),
        entry(ApusV1.WatchLoadRequest.self),
        entry(ApusV1.LoadReport.self),
        entry(ApusV1.SubscribeKVEventsRequest.self),
        entry(ApusV1.KVEvent.self),
        entry(ApusV1.KVEventBatch.self),
        entry(ApusV1.GetModelInfoRequest.self),
        entry(ApusV1.ModelInfo.self),
        entry(ApusV1.HealthCheckRequest.self),
        entry(ApusV1.HealthCheckResponse.self),
        entry(ApusV1.AddBackendRequest.self),
        entry(ApusV1.RemoveBackendRequest.self),
        entry(ApusV1.ListBackendsRequest.self),
        entry(ApusV1.DrainRequest.self),
        entry(ApusV1.Backend.self),
        entry(ApusV1.BackendList.self),
        entry(ApusV1.DescribeRequest.self),
        entry(ApusV1.KVCacheSpec.self),
        entry(ApusV1.RunnerDescription.self),
        entry(ApusV1.ProfileRequest.self),
        entry(ApusV1.ProfileResult.self),
        entry(ApusV1.InitializeCacheRequest.self),
        entry(ApusV1.InitializeCacheResponse.self),
        entry(ApusV1.NewRequestData.self) { request in _ = try? request.samplingParams.validate() },
        entry(ApusV1.CachedRequestData.self),
        entry(ApusV1.SchedulerOutput.self) { message in
            // The runner's side of the step protocol, and back (what a runner echoes must encode).
            let step = SchedulerOutput(message)
            _ = ApusV1.SchedulerOutput(step).encoded()
            if let grammar = step.grammar { _ = grammar.isWellFormed(vocabSize: 512) }
        },
        entry(ApusV1.IntermediateTensors.self) { message in
            _ = ApusV1.IntermediateTensors(IntermediateTensors(message)).encoded()
        },
        entry(ApusV1.RequestLogprobs.self),
        entry(ApusV1.ModelRunnerOutput.self) { message in
            // The engine-core's side: parallel lists that disagree must throw, not trap.
            if let output = try? ModelRunnerOutput(message) { _ = ApusV1.ModelRunnerOutput(output).encoded() }
        },
        entry(ApusV1.ResetRequest.self),
        entry(ApusV1.ResetResponse.self),
        entry(ApusV1.Hello.self),
        // Disaggregated prefill/decode.
        entry(ApusV1.KVTransferParams.self) { message in
            if let params = try? KVTransferParams(message) { _ = ApusV1.KVTransferParams(params).encoded() }
        },
        entry(ApusV1.KVSource.self),
        entry(ApusV1.KVTransferControlRequest.self),
        entry(ApusV1.KVTransferControlResponse.self),
        entry(ApusV1.KVLayout.self),
        entry(ApusV1.LoadKVRequest.self),
        entry(ApusV1.KVLoadSource.self),
        entry(ApusV1.LoadKVResult.self),
        entry(ApusV1.ReadKVRequest.self),
        entry(ApusV1.KVChunk.self),
        Entry(name: "KVChunk.Fields(parsing:)") { bytes in
            // The consumer runner's in-place read of a chunk: its byte ranges must lie inside the payload.
            guard let fields = try? ApusV1.KVChunk.Fields(parsing: bytes) else { return }
            precondition(fields.keys.upperBound <= bytes.count && fields.values.upperBound <= bytes.count)
        },
        Entry(name: "GenerateOutput.finishReason(encoded:)") { bytes in
            _ = try? ApusV1.GenerateOutput.finishReason(encoded: Array(bytes))
        },
    ]

    static func entry<M: WireMessage>(
        _ type: M.Type, then use: @escaping @Sendable (M) -> Void = { _ in }
    ) -> Entry {
        Entry(name: String(describing: type)) { bytes in
            guard let message = try? M(decoding: bytes) else { return }
            let first = message.encoded()
            let again: M
            do {
                again = try M(decoding: first)
            } catch {
                fuzzFailure("\(M.self): a decoded message re-encodes to bytes that do not decode: \(error)")
            }
            let second = again.encoded()
            guard first == second else {
                fuzzFailure("\(M.self): re-encoding is not stable: \(first) then \(second)")
            }
            use(message)
        }
    }
}
