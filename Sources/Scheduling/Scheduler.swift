import ServingCore

/// The vLLM V1 scheduler, with vLLM 0.33's behaviour (docs/scheduling.md): a pure state machine.
///
/// The engine loop calls `addRequest` / `finishRequests` between steps, then `schedule()`, hands the
/// `SchedulerOutput` to the runners, and feeds their `ModelRunnerOutput` to `updateFromOutput`, which returns
/// what to stream to clients. No I/O, no clock. Not thread-safe: one owner drives it.
public final class Scheduler {
    public let config: SchedulerConfig
    public let kvCacheManager: KVCacheManager
    let blockHasher: BlockHasher?

    /// Every unfinished request by id.
    @exclusivity(unchecked) public internal(set) var requests: [String: Request] = [:]
    public let waiting: RequestQueue
    /// Admitted requests, in admission order.
    @exclusivity(unchecked) public internal(set) var running: [Request] = []
    /// Finished since the last `schedule()`; goes to the runners in the next output.
    @exclusivity(unchecked) public internal(set) var finishedReqIDs: Set<String> = []
    @exclusivity(unchecked) var preemptedReqIDs: Set<String> = []
    /// `preemptedReqIDs` in the order they happened (for the trace simulator's lines).
    @exclusivity(unchecked) var preemptedInOrder: [String] = []
    /// What `preemptedInOrder` held when the last output was built.
    @exclusivity(unchecked) public internal(set) var lastPreemptedInOrder: [String] = []
    @exclusivity(unchecked) var nextArrival = 0
    @exclusivity(unchecked) var nextStepID = 0
    @exclusivity(unchecked) public internal(set) var numPreemptions = 0
    /// Speculative decoding counters since start.
    @exclusivity(unchecked) public internal(set) var specDecodingStats = SpecDecodingStats()
    /// Scheduled requests (and their token counts) of each step still awaiting `updateFromOutput`, in
    /// scheduling order.
    @exclusivity(unchecked) var inFlight: [Int: ScheduledStep] = [:]

    // Disaggregated prefill/decode (docs/disaggregation.md §2).
    /// Producer: finished requests whose blocks are kept for a consumer to pull, by id.
    @exclusivity(unchecked) public internal(set) var heldForTransfer: [String: Request] = [:]
    /// Consumer: pulls decided by `schedule()` that the engine has not started yet.
    @exclusivity(unchecked) var kvLoadsToStart: [KVLoad] = []
    /// Consumer: finished pulls (true = every byte landed) not yet applied by `schedule()`.
    @exclusivity(unchecked) var finishedKVLoads: [String: Bool] = [:]
    /// Consumer: requests that ended while their pull was in flight; their blocks are freed when it returns.
    @exclusivity(unchecked) var endedDuringKVLoad: [String: Request] = [:]

    /// Builds a scheduler after validating the config (throws naming the bad field).
    public init(config: SchedulerConfig) throws(SchedulerConfigError) {
        try config.validate()
        self.config = config
        self.kvCacheManager = KVCacheManager(
            numGPUBlocks: config.numGPUBlocks, blockSize: config.blockSize, maxModelLen: config.maxModelLen,
            enableCaching: config.enablePrefixCaching, enableKVCacheEvents: config.enableKVCacheEvents)
        self.blockHasher =
            config.enablePrefixCaching ? BlockHasher(blockSize: config.blockSize, seed: config.hashSeed) : nil
        self.waiting = RequestQueue(policy: config.policy)
    }

    /// The hasher requests must be created with (nil when prefix caching is off).
    public var requestBlockHasher: BlockHasher? { blockHasher }

    /// Creates a request with this scheduler's block hasher and queues it.
    ///
    /// `arrival` overrides the arrival number (priority ties and victims go by it); by default requests are
    /// numbered in the order they are added.
    @discardableResult
    public func addRequest(
        requestID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
        eosTokenID: TokenID? = nil, priority: Int = 0, lora: LoRARequest? = nil, cacheSalt: String? = nil,
        kvTransfer: KVTransferParams? = nil, arrival: Int? = nil
    ) throws(SchedulerError) -> Request {
        let r = Request(
            requestID: requestID, promptTokenIDs: promptTokenIDs, samplingParams: samplingParams,
            eosTokenID: eosTokenID, priority: priority, lora: lora, cacheSalt: cacheSalt, kvTransfer: kvTransfer,
            blockHasher: blockHasher)
        try addRequest(r, arrival: arrival)
        return r
    }

    /// Queues a new request (status waiting); it gets the next arrival number unless `arrival` is given.
    public func addRequest(_ request: Request, arrival: Int? = nil) throws(SchedulerError) {
        guard requests[request.requestID] == nil else { throw .duplicateRequestID(request.requestID) }
        guard request.numPromptTokens < config.maxModelLen else {
            throw .promptTooLong(
                request.requestID, promptLength: request.numPromptTokens, maxModelLen: config.maxModelLen)
        }
        precondition(request.status == .waiting && request.numComputedTokens == 0, "only fresh requests can be added")
        precondition(
            request.blockHasher == blockHasher, "create requests with the scheduler's requestBlockHasher")
        request.arrival = arrival ?? nextArrival
        nextArrival = max(nextArrival, request.arrival) + 1
        requests[request.requestID] = request
        waiting.add(request)
    }

    /// Finishes requests from outside (client abort, stop string, error); unknown or finished ids are ignored.
    ///
    /// Their blocks are freed now and their ids reach the runners with the next `SchedulerOutput`.
    public func finishRequests(_ ids: some Sequence<String>, status: RequestStatus = .finishedAborted) {
        precondition(status.isFinished, "finishRequests needs a finished status")
        var removeFromRunning = false
        for id in ids {
            guard let r = requests[id], !r.isFinished else { continue }
            if r.status == .running {
                removeFromRunning = true
            } else {
                waiting.remove(r)
            }
            r.status = status
            freeRequest(r)
        }
        if removeFromRunning { running.removeAll { $0.isFinished } }
    }

    /// Finishes requests with the status that matches `reason` (`.abort` for a client abort or a stop string the
    /// api found, `.error` for a failure); see `finishRequests(_:status:)`.
    public func finishRequests(_ ids: some Sequence<String>, _ reason: FinishReason) {
        let status: RequestStatus =
            switch reason {
            case .abort: .finishedAborted
            case .error: .finishedError
            case .stop: .finishedStopped
            case .length: .finishedLengthCapped
            }
        finishRequests(ids, status: status)
    }

    /// Unfinished requests, or finished ids the runners have not been told about yet.
    public var hasRequests: Bool { !requests.isEmpty || !finishedReqIDs.isEmpty }
    public var numUnfinishedRequests: Int { requests.count }

    public var stats: SchedulerStats {
        SchedulerStats(
            numRunningReqs: running.count, numWaitingReqs: waiting.count, kvCacheUsage: kvCacheManager.usage,
            prefixCacheQueries: kvCacheManager.totalPrefixCacheQueries,
            prefixCacheHits: kvCacheManager.totalPrefixCacheHits, numPreemptions: numPreemptions,
            numSteps: nextStepID)
    }

    /// KV-cache events since the last call, with increasing sequence numbers.
    public func takeKVEvents() -> [SequencedKVCacheEvent] { kvCacheManager.takeEvents() }

    /// Prefix-cache stats since the last call.
    public func takePrefixCacheStats() -> PrefixCacheStats { kvCacheManager.takePrefixCacheStats() }

    /// Ends a finished request: its id goes to the runners and its blocks back to the pool — except a producer's
    /// finished prefill, whose blocks stay held for the consumer (`heldForTransfer`), and a request whose KV pull is
    /// still writing into its blocks (freed when the pull returns).
    func freeRequest(_ r: Request) {
        precondition(r.isFinished)
        finishedReqIDs.insert(r.requestID)
        requests[r.requestID] = nil
        if case .loading = r.kvLoad {
            endedDuringKVLoad[r.requestID] = r
        } else if holdsForTransfer(r) {
            heldForTransfer[r.requestID] = r
        } else {
            kvCacheManager.free(r)
        }
    }
}

/// The requests one step scheduled, in order, with the tokens each got.
struct ScheduledStep {
    var requests: [Request]
    var numTokens: [Int]
    /// Async scheduling: which requests got an output placeholder in this step (empty when synchronous).
    var placeholders: [Bool] = []
}

/// Why a request could not be added.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateRequestID(String)
    case promptTooLong(String, promptLength: Int, maxModelLen: Int)

    public var description: String {
        switch self {
        case .duplicateRequestID(let id): "request id \(id) is already in use"
        case .promptTooLong(let id, let n, let m):
            "request \(id): prompt of \(n) tokens leaves no room to generate within max_model_len \(m)"
        }
    }
}
