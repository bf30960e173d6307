import Foundation
import Scheduling
import ServingCore
import StructuredOutput

/// The engine-core loop (docs/architecture.md §4.1): drain adds and aborts → `schedule()` → execute on the runners
/// → apply aborts that arrived meanwhile → `updateFromOutput()` → emit outputs. Owns the scheduler, the only KV
/// allocator.
///
/// Only `run()` touches the scheduler, so it needs no lock; other threads talk to it through the inbox
/// (`generate`, `abort`) and read what it publishes in `state`.
public final class EngineCore: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var scheduler: SchedulerConfig
        /// How long requests wait for a lost runner before they fail.
        public var runnerLossTimeout: Duration = .seconds(30)
        public var vocabSize: Int
        /// Compiles structured-output constraints; nil = such requests are refused (no tokenizer to match with).
        public var grammarCompiler: GrammarCompiler?
        /// Tokens (prompt + max output) of the requests held at once, queued or running. A request past it is
        /// refused as full (RESOURCE_EXHAUSTED, a 429 at the api) so a burst cannot grow the engine's memory without
        /// bound; 8M tokens is about 100 MB of token ids, hashes and request state.
        public var maxPendingTokens = Configuration.defaultMaxPendingTokens
        public static let defaultMaxPendingTokens = 8 << 20
        /// Speculative decoding (docs/scheduling.md §15); nil = off. When set, the scheduler verifies up to its
        /// `numSpeculativeTokens` drafts per request and step, and scheduling is synchronous: the engine proposes
        /// each request's next drafts from the tokens its last step returned.
        public var speculative: SpeculativeConfig?
        /// Disaggregated prefill/decode (docs/disaggregation.md §2): the role and the holds' and pulls' timing.
        public var kvTransfer = KVTransferConfig()
        /// Where the loop reports transfer events worth a log line (failed pulls, expired holds).
        public var kvTransferLog: (@Sendable (String) -> Void)?
        public init(scheduler: SchedulerConfig, vocabSize: Int) {
            self.scheduler = scheduler
            self.vocabSize = vocabSize
        }
    }

    public let configuration: Configuration
    public let state = EngineState()
    let scheduler: Scheduler
    let executor: any ModelExecutor
    let inbox = EngineInbox()
    var sinks: [String: RequestSink] = [:]
    /// Requests the runners currently hold state for (cleared when a runner restarts).
    var knownToRunner: Set<String> = []
    var runnerIncarnation: String?
    /// The grammar state of each admitted structured-output request (docs/architecture.md §6.5).
    var matchers: [String: GrammarMatcher] = [:]
    /// Proposes each request's drafts after a step (speculative decoding); nil = off.
    let proposer: (any DraftProposer)?
    /// Called on the loop after each step's outputs went to their sinks (the service flushes its write batch).
    let onStepDelivered: (@Sendable () -> Void)?
    var pendingCloses: [(RequestSink, EngineRequestError?)] = []
    /// The consumer's line to producer engine-cores (nil: pulls run without keep-alive and release).
    let kvPeers: (any KVTransferPeers)?
    var kv = KVTransferBook()
    /// Producer: the held prefills consumers may still read (answered off the loop).
    let kvHolds = KVHoldTable()
    var abortsTotal = 0
    var finishedTotal = 0
    /// Monotonic nanoseconds; times the runners' steps (`state.stepTiming`).
    public let clock: @Sendable () -> UInt64

    /// `clock` defaults to the system's monotonic clock; tests hand in their own.
    public init(
        configuration: Configuration, executor: any ModelExecutor, onStepDelivered: (@Sendable () -> Void)? = nil,
        kvPeers: (any KVTransferPeers)? = nil,
        clock: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) throws(SchedulerConfigError) {
        var configuration = configuration
        if let spec = configuration.speculative {
            configuration.scheduler.numSpeculativeTokens = spec.numSpeculativeTokens
            // A draft model writes the KV of its drafts past the step's tokens (vLLM's lookahead slots).
            configuration.scheduler.numLookaheadTokens = spec.runnerProposes ? spec.numSpeculativeTokens : 0
            configuration.scheduler.asyncScheduling = false
        }
        self.configuration = configuration
        self.scheduler = try Scheduler(config: configuration.scheduler)
        self.proposer = configuration.speculative.flatMap(Self.makeProposer)
        self.executor = executor
        self.onStepDelivered = onStepDelivered
        self.kvPeers = kvPeers
        self.clock = clock
    }

    /// How long ago the runners were last heard from; nil when the executor cannot tell.
    public var runnerSilence: Duration? { executor.runnerSilence }

    // MARK: Entry points for other threads

    /// Queues a request and returns when the engine is done with it. Outputs go to `emit` (on the loop thread);
    /// cancelling the calling task aborts the request.
    public func generate(_ request: EngineRequest, emit: @escaping @Sendable (EngineCoreOutput) -> Void) async throws {
        try validate(request)
        let prompt = request.promptTokenIDs.count
        let reserved = prompt + max(0, min(request.samplingParams.maxTokens, configuration.scheduler.maxModelLen - prompt))
        guard state.reservePending(tokens: reserved, limit: configuration.maxPendingTokens) else {
            throw EngineRequestError.full(
                "the engine holds its maximum of \(configuration.maxPendingTokens) pending tokens (prompt + max_tokens); "
                    + "retry shortly")
        }
        defer { state.reservePending(tokens: -reserved, limit: .max) }
        var request = request
        if let constraint = request.samplingParams.structuredOutputs, request.grammar == nil {
            // Compiled here, in the caller's task: a slow grammar delays its own request, not the loop.
            request.grammar = try await configuration.grammarCompiler?.compile(constraint)
        }
        // NOTE: the loop is blocked reconnecting; a request queued now would wait for the runner without bound.
        if case .failed(let why) = state.readiness { throw EngineRequestError.runnerUnavailable(why) }
        let id = request.requestID
        state.adjustStreams(by: 1)
        defer { state.adjustStreams(by: -1) }
        let error: EngineRequestError? = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<EngineRequestError?, Never>) in
                let sink = RequestSink(emit: emit, close: { c.resume(returning: $0) })
                // NOTE: a caller cancelled before this point already ran the abort below; never queue its request.
                switch Task.isCancelled ? .aborted : inbox.add(request, sink: sink) {
                case .queued: break
                case .aborted: Self.endUnadmitted(id, sink)
                case .closed: c.resume(returning: .shuttingDown)
                }
            }
        } onCancel: {
            abort([id])
        }
        if let error { throw error }
    }

    /// Aborts requests by id (unknown ids are ignored, as in vLLM); their streams end with finish reason "abort".
    public func abort(_ ids: [String]) {
        for (request, sink) in inbox.abort(ids) { Self.endUnadmitted(request.requestID, sink) }
    }

    /// Ends a request the loop never admitted: one final output with finish reason "abort".
    private static func endUnadmitted(_ id: String, _ sink: RequestSink) {
        sink.emit(EngineCoreOutput(reqID: id, newTokenIDs: [], finishReason: .abort, numCachedTokens: 0))
        sink.close(nil)
    }

    /// Checks what can be checked before queueing: params, vocabulary, length.
    public func validate(_ request: EngineRequest) throws(EngineRequestError) {
        guard !request.promptTokenIDs.isEmpty else { throw .invalid("the prompt must not be empty") }
        let vocab = configuration.vocabSize
        if let bad = request.promptTokenIDs.first(where: { $0 < 0 || Int($0) >= vocab }) {
            throw .invalid("prompt token id \(bad) is out of vocabulary (size \(vocab))")
        }
        let maxLen = configuration.scheduler.maxModelLen
        guard request.promptTokenIDs.count < maxLen else {
            throw .invalid(
                "the prompt has \(request.promptTokenIDs.count) tokens; this model's max_model_len is \(maxLen), "
                    + "which must leave room for at least one generated token")
        }
        do {
            try request.samplingParams.validate(vocabSize: vocab)
        } catch {
            throw .invalid("\(error.parameter): \(error.message)")
        }
        if let lora = request.lora {
            guard configuration.scheduler.maxLoras != nil else {
                throw .invalid(
                    "LoRA adapter '\(lora.name)' requested, but this engine was started without --enable-lora")
            }
            guard !lora.path.isEmpty else { throw .invalid("LoRA adapter '\(lora.name)' has no path") }
        }
        if let p = request.kvTransfer { try validateKVTransfer(p) }
        // NOTE: never run a constrained request unconstrained.
        if request.samplingParams.structuredOutputs != nil && configuration.grammarCompiler == nil {
            throw .invalid(
                "structured_outputs: structured outputs are not enabled on this engine (it has no tokenizer for the "
                    + "model; start the engine-core with --tokenizer)")
        }
    }
}
