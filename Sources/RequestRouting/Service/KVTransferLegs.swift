import Wire

/// Why a request in PD mode goes to the decode pool without KV transfer params (the consumer computes its prompt).
public enum DecodeOnlyReason: String, Sendable, CaseIterable {
    /// It asks for prompt logprobs, which only the engine that computes the prompt can give.
    case promptLogprobs = "prompt_logprobs"
    /// No producer was ready or panic-eligible.
    case noPrefillEngine = "no_prefill_engine"
    /// The prefill leg failed: unreachable, refused (e.g. an engine-core without the producer role), timed out,
    /// or ended with an error.
    case prefillFailed = "prefill_failed"
    /// The prefill leg ended but its final output carried no usable KV transfer params.
    case noKVParams = "no_kv_params"
}

/// The two legs of a disaggregated request, built from the client's request (docs/disaggregation.md §4).
///
/// Pure: the router service calls these around its upstream calls; tests check the legs field by field.
enum KVTransferLegs {
    /// Whether `request` may be disaggregated at all; nil when it may, else why it goes decode-only.
    static func decodeOnlyReason(_ request: ApusV1.GenerateRequest) -> DecodeOnlyReason? {
        request.samplingParams.promptLogprobs != nil ? .promptLogprobs : nil
    }

    /// The prefill leg: the client's request with `{do_remote_decode}` and sampling cut to one token (max_tokens 1,
    /// min_tokens 0, no logprobs, n 1), which the router discards.
    static func prefillRequest(_ request: ApusV1.GenerateRequest) -> ApusV1.GenerateRequest {
        var leg = request
        leg.samplingParams.n = 1
        leg.samplingParams.maxTokens = 1
        leg.samplingParams.minTokens = 0
        leg.samplingParams.logprobs = nil
        leg.samplingParams.promptLogprobs = nil
        leg.kvTransferParams = ApusV1.KVTransferParams(doRemoteDecode: true)
        return leg
    }

    /// The params a finished prefill leg hands the decode leg, taken from its final output; nil when it carries
    /// none a consumer can pull from (an aborted or failed leg, or params without `do_remote_prefill`).
    static func producedParams(_ final: ApusV1.GenerateOutput) -> ApusV1.KVTransferParams? {
        guard let params = final.kvTransferParams, params.doRemotePrefill, final.finishReason != .error,
            final.finishReason != .abort
        else { return nil }
        return params
    }

    /// The decode leg: the client's request as it came, plus the producer's params when there are any, with
    /// `remote_host`/`remote_port` replaced by the address the router dialed the producer at (the producer may
    /// only know itself as 0.0.0.0). A producer that is not an address (an in-process engine) keeps its own.
    static func decodeRequest(
        _ request: ApusV1.GenerateRequest, params: ApusV1.KVTransferParams?, producer: EngineID?
    ) -> ApusV1.GenerateRequest {
        var leg = request
        leg.kvTransferParams = params.map { params in
            var params = params
            if let producer, let address = EngineAddress(producer.rawValue) {
                params.remoteHost = address.host
                params.remotePort = UInt32(address.port)
            }
            return params
        }
        return leg
    }
}
