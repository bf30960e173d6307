import ServingCore
import Tokenization
import Wire

/// One OpenAI request in flight upstream: its child requests (one per choice), opened together and read
/// concurrently, each through its own `ChoiceProcessor`.
///
/// `start` opens every upstream stream and waits for each one's first output before any response byte is written,
/// so an unreachable or refusing upstream is a 503 (or a 429 when it is full), not a broken stream, and a lost
/// upstream connection is retried (`EngineUpstream.start`); callers run it
/// under `ClientDisconnect`, so a client that leaves while its request is queued cancels it. `forEach` delivers the
/// choices' deltas in arrival order; when its body throws (the client went away) or the caller is cancelled, the
/// child tasks are cancelled, which cancels their upstream calls — the engine aborts those requests within one step.
///
/// A choice whose upstream connection is lost after its first output but before anything visible (text, logprobs,
/// a finish) reached the client starts over upstream under a new id: its deltas are held back until the first
/// visible one, so the client never sees the abandoned attempt.
struct Generation: Sendable {
    struct Child: Sendable {
        var index: Int
        var requestID: String
        /// The upstream request, to start it again (see the type's note).
        var request: ApusV1.GenerateRequest
        var promptTokens: Int
        var processor: ChoiceProcessor
        var outputs: UpstreamOutputs
    }

    let children: [Child]
    let upstream: EngineUpstream
    let metrics: APIMetrics?
    let arrival: ContinuousClock.Instant
    /// Prompt tokens counted once per prompt (not per choice), as OpenAI's usage does.
    let promptTokens: Int

    static func start(
        _ plan: GenerationPlan, model: ServedModel, upstream: EngineUpstream, metrics: APIMetrics?
    ) async throws(APIError) -> Generation {
        let planned = try plan.children(for: model)
        let started = try await upstream.start(planned.map(\.request))
        let children = zip(planned, started).map { child, outputs in
            Child(
                index: child.index, requestID: outputs.requestID, request: child.request,
                promptTokens: child.request.promptTokenIDs.count,
                processor: ChoiceProcessor(
                    index: child.index, tokenizer: model.tokenizer, promptTokenIDs: child.request.promptTokenIDs,
                    params: child.request.samplingParams, reportsCachedTokens: child.index % plan.params.n == 0),
                outputs: outputs)
        }
        return Generation(
            children: children, upstream: upstream, metrics: metrics, arrival: plan.arrival,
            promptTokens: plan.prompts.map(\.count).reduce(0, +))
    }

    /// Calls `body` with every delta of every choice until all have finished. Upstream failures throw `APIError`.
    func forEach(_ body: (ChoiceDelta) async throws -> Void) async throws {
        let (deltas, continuation) = AsyncThrowingStream<ChoiceDelta, any Error>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { readers in
                        for child in children {
                            readers.addTask { try await read(child) { continuation.yield($0) } }
                        }
                        try await readers.waitForAll()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            for try await delta in deltas { try await body(delta) }
            try await group.waitForAll()
        }
    }

    private func read(_ child: Child, _ yield: (ChoiceDelta) -> Void) async throws {
        var processor = child.processor
        var outputs = child.outputs
        var timer = APIMetrics.RequestTimer(arrival: arrival)
        // Deltas with nothing visible, held until the first visible one (see the type's note).
        var held: [ChoiceDelta] = []
        var shown = false
        // The metrics see what the client sees: a delta is recorded when it is yielded, the first one at the time
        // its attempt's first output arrived.
        var firstArrival = outputs.firstArrival
        func emit(_ delta: ChoiceDelta) {
            if let metrics {
                timer.record(delta, promptTokens: child.promptTokens, metrics: metrics, at: firstArrival ?? .now)
            }
            firstArrival = nil
            yield(delta)
        }
        do {
            while true {
                let output: ApusV1.GenerateOutput?
                do {
                    output = try await outputs.next()
                } catch where !shown && UpstreamRetry.isRetryable(error) {
                    outputs = try await upstream.restart(child.request, after: outputs, error: error)
                    processor = child.processor
                    held.removeAll()
                    firstArrival = outputs.firstArrival
                    continue
                }
                guard let output else { break }
                let delta = processor.process(output)
                if !shown {
                    let visible =
                        !delta.text.isEmpty || !delta.logprobs.isEmpty || !delta.promptLogprobs.isEmpty
                        || delta.finishReason != nil
                    guard visible else {
                        held.append(delta)
                        continue
                    }
                    shown = true
                    held.forEach(emit)
                    held.removeAll()
                }
                emit(delta)
                guard delta.finishReason == nil else {
                    if delta.abortUpstream { await upstream.abort([outputs.requestID]) }
                    return
                }
            }
        } catch let error as APIError {
            if let metrics {
                let abort = ChoiceDelta(index: child.index, finishReason: .abort)
                timer.record(abort, promptTokens: child.promptTokens, metrics: metrics)
            }
            throw error
        } catch {
            // The client went away (or the upstream failed): the request ends as an abort for the metrics.
            if let metrics {
                let abort = ChoiceDelta(index: child.index, finishReason: .abort)
                timer.record(abort, promptTokens: child.promptTokens, metrics: metrics)
            }
            throw APIError.upstream(error)
        }
        throw APIError.internalError("The engine ended request \(outputs.requestID) without finishing it")
    }
}
