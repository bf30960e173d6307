import ServingCore
import Wire

extension RouterService {
    /// Routes one Generate, forwards the chosen engine's stream, and retries elsewhere while nothing reached
    /// the client. Every routed request gets exactly one final `finish`, plus one per retry.
    ///
    /// Errors: UNAVAILABLE when no engine is ready, every attempt failed before output, or the retry budget
    /// refused a retry (the error of the attempt that failed, naming its engine); the engine's own
    /// status for client errors; a failure after output was streamed ends the stream with a final output
    /// whose finish reason is ERROR and whose message names the engine. In PD mode this is the decode leg's path,
    /// after the prefill leg (`generateDisaggregated`).
    func generate(
        _ request: ForwardedRequest, metadata: [MetadataEntry], writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async throws {
        guard !request.requestID.isEmpty else { throw RPCError(.invalidArgument, "request_id must not be empty") }
        if let pd {
            try await generateDisaggregated(request, pd: pd, metadata: metadata, writer: writer)
            return
        }
        let routing = routingRequest(request)
        let engine = try route(routing)
        let control = AttemptControl(requestID: request.requestID, engine: engine, now: core.now())
        active.insert(control)
        defer { active.remove(control) }
        _ = try await forwardWithRetries(
            request, routing: routing, engine: engine, metadata: metadata, control: control, writer: writer)
    }

    /// What routing reads of a request: its id, prompt block keys (prefix_aware), session key and adapter.
    func routingRequest(_ request: ForwardedRequest) -> RoutingRequest {
        RoutingRequest(
            requestID: request.requestID, blockHashes: promptKeys(request),
            sessionKey: request.sessionKey.isEmpty ? nil : request.sessionKey,
            loraName: request.loraName.isEmpty ? nil : request.loraName)
    }

    /// Places a new request on an engine of this service's pool and counts it; the RPC error the client gets when
    /// none can take it.
    func route(_ routing: RoutingRequest) throws -> EngineID {
        switch core.route(routing) {
        case .success(let chosen):
            metrics.requests.increment()
            return chosen
        case .failure(.noEngineAvailable):
            metrics.failed.increment()
            throw RPCError(.unavailable, "no engine-core is ready to take the request")
        case .failure(.duplicateRequestID(let id)):
            throw RPCError(.alreadyExists, "request id \(id) is already in flight")
        }
    }

    /// Forwards a routed request's stream from `engine` and retries elsewhere while nothing reached the client;
    /// returns how the client's stream ended when it ended with outputs, and throws the RPC error the client gets
    /// otherwise. Every call is balanced: the core's `finish` runs for the first attempt and for each retry.
    func forwardWithRetries(
        _ request: ForwardedRequest, routing: RoutingRequest, engine first: EngineID, metadata: [MetadataEntry],
        control: AttemptControl, writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async throws -> StreamEnd {
        var engine = first
        var tried: [EngineID] = []
        while true {
            if control.clientAborted {
                // Aborted between attempts: the abort may have reached an engine before the request did.
                finishAndHandle(routing, .cancelled)
                try writer.send(ApusV1.GenerateOutput(requestID: request.requestID, finishReason: .abort))
                return .aborted
            }
            tried.append(engine)
            let result = await attempt(request, metadata: metadata, on: engine, control: control, writer: writer)
            switch result {
            case .finished(let finish):
                finishAndHandle(routing, finish == .error ? .engineError : .completed)
                return finish == .error ? .failed : .completed
            case .clientGone:
                abortUpstream(request.requestID)
                finishAndHandle(routing, .cancelled)
                throw RPCError(.cancelled, "the client cancelled the request")
            case .failed(let outcome, let error):
                let final = control.clientAborted ? RequestOutcome.cancelled : outcome
                switch finishAndHandle(routing, final) {
                case .retry(let next, let previous):
                    metrics.retries.increment()
                    logger.debug("retrying \(request.requestID) on \(next) after \(engine): \(error.message)")
                    if let previous { await abort([request.requestID], on: previous) }
                    engine = next
                case .done:
                    throw error
                case .fail:
                    metrics.failed.increment()
                    try failRequest(request.requestID, on: engine, tried: tried, error, control: control, writer: writer)
                    return .failed
                }
            }
        }
    }

    /// Reports a failure the core will not retry: in-band after output was streamed, as an RPC error before.
    private func failRequest(
        _ requestID: String, on engine: EngineID, tried: [EngineID], _ error: RPCError, control: AttemptControl,
        writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) throws {
        guard control.forwarded else {
            let engines = tried.map(\.rawValue).joined(separator: ", ")
            let code: StatusCode = error.code == .deadlineExceeded ? .unavailable : error.code
            throw RPCError(code, "request \(requestID) failed on engine-core(s) \(engines): \(error.message)")
        }
        let message = "engine-core \(engine) failed after output was streamed: \(error.message)"
        let engineID = monitors.withLock { $0[engine]?.info?.engineID } ?? engine.rawValue
        try writer.send(
            ApusV1.GenerateOutput(requestID: requestID, finishReason: .error, engineID: engineID, errorMessage: message))
    }

    /// One upstream call on `engine`, which the tick loop may kill (timeouts, hung engine, removal).
    private func attempt(
        _ request: ForwardedRequest, metadata: [MetadataEntry], on engine: EngineID, control: AttemptControl,
        writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async -> AttemptResult {
        guard let client = monitors.withLock({ $0[engine]?.client }) else {
            return .failed(.transportError, RPCError(.unavailable, "engine \(engine) is no longer a member"))
        }
        control.begin(on: engine, now: core.now())
        defer { control.end() }
        let result = await forward(request, metadata: metadata, client: client, control: control, writer: writer)
        if case .finished = result { return result }
        if let kill = control.killed { return .failed(kill.outcome, kill.error) }
        if Task.isCancelled { return .clientGone }
        return result
    }

    /// Streams the engine's outputs to the client until the engine ends the stream: each output's bytes go on as
    /// they came, only its finish reason read.
    private func forward(
        _ request: ForwardedRequest, metadata: [MetadataEntry], client: any EngineClient, control: AttemptControl,
        writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async -> AttemptResult {
        var finish: ServingFinish?
        do {
            let stream = try await client.generate(encoded: request.bytes, metadata: metadata)
            control.attach(cancel: stream.cancel)
            for try await output in stream {
                // Outputs buffered before a kill are not forwarded: the killed attempt may still be retried.
                if control.killed != nil { break }
                if control.touch(now: core.now()) {
                    core.withCore { $0.markFirstTokenSent(requestID: request.requestID) }
                }
                let reason: FinishReason?
                do {
                    reason = try ApusV1.GenerateOutput.finishReason(encoded: output)
                } catch {
                    throw RPCError(.internal, "engine sent a malformed apus.v1.GenerateOutput: \(error)")
                }
                do { try writer.sendEncoded(output) } catch { return .clientGone }
                if let reason { finish = reason == .error ? .error : .normal }
            }
        } catch {
            if let finish { return .finished(finish) }
            let rpcError = RPCError.from(error)
            return .failed(RequestOutcome.classify(rpcError), rpcError)
        }
        if let finish { return .finished(finish) }
        if Task.isCancelled { return .clientGone }
        return .failed(.transportError, RPCError(.unavailable, "the engine ended the stream without a finish reason"))
    }

    /// `finish` on the core, acting on the health actions it returns; returns the decision.
    @discardableResult
    func finishAndHandle(_ routing: RoutingRequest, _ outcome: RequestOutcome) -> FinishDecision {
        let result = core.finish(routing, outcome: outcome)
        if result.retryBudgetExhausted {
            logger.warning("not retrying \(routing.requestID): the retry budget is exhausted")
            metrics.record(core.withCore { $0.stats })
        }
        var byEngine: [EngineID: [HealthAction]] = [:]
        for action in result.health { byEngine[action.engine, default: []].append(action.action) }
        for (engine, actions) in byEngine { handle(actions, for: engine) }
        return result.decision
    }

    /// Sends Abort for a request whose client went away to the engine that owns it, without waiting: the
    /// handler's task is cancelled, so the service's abort loop sends it.
    func abortUpstream(_ requestID: String) {
        guard let owner = core.withCore({ $0.owner(of: requestID) }) else { return }
        pendingAborts.yield((requestID, owner))
    }

    /// `Engine.Abort` on one engine, bounded by `abortTimeout`; returns how many the engine aborted.
    @discardableResult
    func abort(_ requestIDs: [String], on engine: EngineID) async -> UInt32 {
        guard let client = monitors.withLock({ $0[engine]?.client }) else { return 0 }
        return (try? await client.abort(requestIDs, timeout: config.abortTimeout)) ?? 0
    }

    /// The prompt's block keys for `prefix_aware` (empty for other policies or before any model info).
    func promptKeys(_ request: ForwardedRequest) -> [BlockHashKey] {
        promptKeys(prompt: request.promptTokenIDs, cacheSalt: request.cacheSalt, loraName: request.loraName)
    }

    func promptKeys(prompt: [TokenID], cacheSalt: String, loraName: String) -> [BlockHashKey] {
        guard usesPrefix, let hasher = model.withLock({ $0.hasher }) else { return [] }
        return hasher.keys(promptTokenIDs: prompt, cacheSalt: cacheSalt, loraName: loraName)
    }
}
