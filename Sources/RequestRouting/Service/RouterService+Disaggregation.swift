import Wire

extension RouterService {
    /// One Generate in PD mode (docs/disaggregation.md §4): the prefill leg on a producer, then the decode leg on a
    /// consumer with the producer's KV transfer params, forwarded to the client exactly as an ordinary request
    /// (retries before the first output, on other consumers with the same params).
    ///
    /// Without params (prompt logprobs asked, no producer ready, the leg failed or gave none) the decode leg is an
    /// ordinary request. Once a producer holds the blocks, a decode leg that does not complete normally — the
    /// client left or aborted, no consumer was ready, every attempt failed, a failure after output — makes the
    /// router send the producer a RELEASE (best effort; the consumer also releases once it pulled or gave up).
    func generateDisaggregated(
        _ request: ForwardedRequest, pd: Disaggregation, metadata: [MetadataEntry],
        writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async throws {
        let decoded: ApusV1.GenerateRequest
        do {
            decoded = try request.bytes.withUnsafeBytes { raw throws(WireDecodingError) in
                try ApusV1.GenerateRequest(decoding: raw)
            }
        } catch {
            throw RPCError(.invalidArgument, "malformed apus.v1.GenerateRequest: \(error)")
        }
        let id = request.requestID
        // The control spans both legs, so an Abort from the api during the prefill leg is remembered.
        let control = AttemptControl(requestID: id, engine: EngineID(""), now: core.now())
        guard active.insertIfAbsent(control) else {
            throw RPCError(.alreadyExists, "request id \(id) is already in flight")
        }
        defer { active.remove(control) }
        pd.metrics.requests.increment()
        let held = try await prefill(decoded, pd: pd, metadata: metadata, control: control)
        let release = { if let held { pd.release(id, on: held.producer) } }
        if control.clientAborted {
            release()
            try writer.send(ApusV1.GenerateOutput(requestID: id, finishReason: .abort))
            return
        }
        let leg = try ForwardedRequest(
            KVTransferLegs.decodeRequest(decoded, params: held?.params, producer: held?.producer).encoded(),
            readPrompt: usesPrefix)
        let routing = routingRequest(leg)
        let end: StreamEnd
        do {
            let engine = try route(routing)
            end = try await forwardWithRetries(
                leg, routing: routing, engine: engine, metadata: metadata, control: control, writer: writer)
        } catch {
            release()
            throw error
        }
        if end != .completed || control.clientAborted { release() }
    }

    /// Runs the prefill leg when the request may be disaggregated; returns the params and the producer holding the
    /// blocks, or nil for a decode-only request. Throws CANCELLED when the client left during the leg.
    private func prefill(
        _ request: ApusV1.GenerateRequest, pd: Disaggregation, metadata: [MetadataEntry], control: AttemptControl
    ) async throws -> (params: ApusV1.KVTransferParams, producer: EngineID)? {
        if let reason = KVTransferLegs.decodeOnlyReason(request) {
            pd.metrics.countDecodeOnly(reason)
            return nil
        }
        let started = ContinuousClock.now
        switch await pd.prefill.prefillLeg(request, metadata: metadata, releases: pd) {
        case .ready(let params, let producer):
            pd.metrics.prefillTime.record(started.duration(to: .now))
            return (params, producer)
        case .decodeOnly(let reason, let error):
            if reason != .noPrefillEngine { pd.metrics.prefillTime.record(started.duration(to: .now)) }
            guard !control.clientAborted else { return nil }
            pd.metrics.countDecodeOnly(reason)
            switch reason {
            case .prefillFailed:
                let detail = error?.message ?? ""
                logger.warning(
                    "prefill leg of \(request.requestID) failed; the decode engine computes the prompt: \(detail)")
            case .noKVParams:
                logger.warning(
                    """
                    the producer gave no kv_transfer_params for \(request.requestID) (is it an engine-core with \
                    --kv-role producer?); the decode engine computes the prompt
                    """)
            case .noPrefillEngine, .promptLogprobs:
                logger.debug("\(request.requestID) goes decode-only: \(reason.rawValue)")
            }
            return nil
        case .clientGone:
            throw RPCError(.cancelled, "the client cancelled the request")
        }
    }

    /// Sends the queued RELEASEs (and aborts of failed prefill legs), several at once, until the service stops.
    func releaseLoop(_ pd: Disaggregation) async {
        await withDiscardingTaskGroup { group in
            for await release in pd.releases {
                group.addTask {
                    if await pd.prefill.send(release) { pd.metrics.releases.increment() }
                }
            }
        }
    }
}
