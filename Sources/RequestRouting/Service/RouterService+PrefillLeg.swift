import ServingCore
import Wire

/// How a prefill leg ended.
enum PrefillLegResult: Sendable {
    /// The producer computed the prompt and holds its KV blocks; the decode leg pulls them with `params`.
    case ready(ApusV1.KVTransferParams, producer: EngineID)
    /// No blocks to pull: the decode engine computes the prompt itself. `error` says what failed, if anything.
    case decodeOnly(DecodeOnlyReason, error: RPCError?)
    /// The client went away during the leg; the leg was aborted on its producer.
    case clientGone
}

extension RouterService {
    /// Runs the prefill leg of `request` on a producer of this pool (the prefill pool's service): one attempt,
    /// no retry — a failed leg costs no more than the decode engine computing the prompt, which is the fallback.
    ///
    /// The leg is accounted, timed out, failed over (hung or removed producer) and aborted exactly like a routed
    /// request of an ordinary router; its outputs never reach the client. A failed leg is aborted on its producer and
    /// its blocks released, in case the producer finished it and holds them.
    func prefillLeg(
        _ request: ApusV1.GenerateRequest, metadata: [MetadataEntry], releases: Disaggregation
    ) async -> PrefillLegResult {
        let leg = KVTransferLegs.prefillRequest(request)
        let routing = RoutingRequest(
            requestID: leg.requestID,
            blockHashes: promptKeys(prompt: leg.promptTokenIDs, cacheSalt: leg.cacheSalt, loraName: leg.loraName),
            sessionKey: leg.sessionKey.isEmpty ? nil : leg.sessionKey,
            loraName: leg.loraName.isEmpty ? nil : leg.loraName)
        let producer: EngineID
        switch core.route(routing) {
        case .success(let chosen): producer = chosen
        case .failure(.noEngineAvailable): return .decodeOnly(.noPrefillEngine, error: nil)
        case .failure(.duplicateRequestID(let id)):
            return .decodeOnly(.prefillFailed, error: RPCError(.alreadyExists, "request id \(id) is already in flight"))
        }
        metrics.requests.increment()
        let control = AttemptControl(requestID: leg.requestID, engine: producer, now: core.now())
        active.insert(control)
        defer { active.remove(control) }
        let result = await prefillAttempt(leg.encoded(), metadata: metadata, on: producer, control: control)
        switch result {
        case .produced(let final):
            finishAndHandle(routing, .completed)
            guard let params = KVTransferLegs.producedParams(final) else { return .decodeOnly(.noKVParams, error: nil) }
            return .ready(params, producer: producer)
        case .failed(let outcome, let error):
            let decision = finishAndHandle(routing, control.clientAborted ? .cancelled : outcome)
            // NOTE: never happens (the prefill pool's maxAttempts is 1); were it to, this keeps the ledger balanced.
            if case .retry = decision { finishAndHandle(routing, .cancelled) }
            metrics.failed.increment()
            if !control.clientAborted { releases.release(leg.requestID, on: producer, abortFirst: true) }
            return .decodeOnly(.prefillFailed, error: error)
        case .clientGone:
            abortUpstream(leg.requestID)
            finishAndHandle(routing, .cancelled)
            return .clientGone
        }
    }

    private enum PrefillAttempt {
        /// The producer's final output (finish reason other than ERROR).
        case produced(ApusV1.GenerateOutput)
        case failed(RequestOutcome, RPCError)
        case clientGone
    }

    /// One upstream call of a prefill leg: reads the producer's stream to its end, keeping only the final output
    /// (the leg's sampled token is discarded: the decode engine samples the first token itself).
    private func prefillAttempt(
        _ bytes: [UInt8], metadata: [MetadataEntry], on producer: EngineID, control: AttemptControl
    ) async -> PrefillAttempt {
        guard let client = monitors.withLock({ $0[producer]?.client }) else {
            return .failed(.transportError, RPCError(.unavailable, "engine \(producer) is no longer a member"))
        }
        control.begin(on: producer, now: core.now())
        defer { control.end() }
        var final: ApusV1.GenerateOutput?
        var failure: RPCError?
        do {
            let stream = try await client.generate(encoded: bytes, metadata: metadata)
            control.attach(cancel: stream.cancel)
            for try await output in stream {
                if control.killed != nil { break }
                _ = control.touch(now: core.now())
                guard try ApusV1.GenerateOutput.finishReason(encoded: output) != nil else { continue }
                final = try output.withUnsafeBytes { raw throws(WireDecodingError) in
                    try ApusV1.GenerateOutput(decoding: raw)
                }
            }
        } catch {
            failure = RPCError.from(error)
        }
        if let final {
            guard final.finishReason == .error else { return .produced(final) }
            let error = RPCError(.internal, "engine \(producer) failed the prefill leg: \(final.errorMessage)")
            return .failed(.engineError, error)
        }
        if let kill = control.killed { return .failed(kill.outcome, kill.error) }
        if Task.isCancelled { return .clientGone }
        if let failure { return .failed(RequestOutcome.classify(failure), failure) }
        let error = RPCError(.unavailable, "engine \(producer) ended the prefill leg without a finish reason")
        return .failed(.transportError, error)
    }

    /// `KVTransferControl(RELEASE)` for `release` on its producer (after an Abort when asked), bounded by
    /// `abortTimeout`; false when the producer is no longer a member (its `--kv-transfer-timeout` frees the blocks).
    func send(_ release: Disaggregation.Release) async -> Bool {
        if release.abortFirst { await abort([release.requestID], on: release.producer) }
        guard let caller = monitors.withLock({ $0[release.producer]?.caller }) else {
            logger.debug("cannot release \(release.requestID): producer \(release.producer) is gone")
            return false
        }
        do {
            _ = try await caller.unary(
                RPCMethod.kvTransferControl,
                ApusV1.KVTransferControlRequest(requestIDs: [release.requestID], action: .release),
                as: ApusV1.KVTransferControlResponse.self, timeout: config.abortTimeout)
        } catch {
            logger.debug("RELEASE of \(release.requestID) on \(release.producer) failed: \(RPCError.from(error))")
        }
        return true
    }
}
