import Scheduling
import ServingCore

/// The seam between the engine loop and whatever computes tokens: runner processes over the wire, an in-process
/// runner, or a scripted fake for tests. One implementation drives every runner of one model replica.
public protocol ModelExecutor: AnyObject, Sendable {
    /// Describes and profiles every runner (docs/architecture.md §4.10); called once at start and again after
    /// recovery.
    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile]
    /// Allocates the KV cache on every runner.
    func initializeCache(numBlocks: Int, blockSize: Int) async throws
    /// Runs one step. Throws `ExecutorError.runnerLost` when a runner is gone (its KV memory with it).
    /// The engine never overlaps two calls: with async scheduling it submits step N+1 before it looks at step N's
    /// result, but the call for N+1 starts only once N's returned, so runners see steps in `stepID` order.
    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput
    /// Waits until every runner answers again (the same process or a replacement); the engine then re-sizes and
    /// re-initializes the cache. Throws when cancelled.
    func reconnect() async throws
    /// How long ago the runners were last heard from (any answer, keepalive pongs included; the longest over the
    /// runners), for load reports; nil when the executor cannot tell (in-process runners).
    var runnerSilence: Duration? { get }

    /// Disaggregated prefill/decode, producer side: where consumers read each runner's KV blocks (one per pipeline
    /// stage, with its layers and incarnation); empty when they cannot (in-process runners).
    var kvSources: [KVSource] { get }

    /// Disaggregated prefill/decode, consumer side: every runner pulls the blocks `remoteBlockIDs` of its layers from
    /// `sources` into `localBlockIDs` (same positions). Throws when any runner fails or `timeout` passes.
    func loadKV(
        requestID: String, sources: [KVSource], localBlockIDs: [Int], remoteBlockIDs: [Int], timeout: Duration
    ) async throws -> KVLoadStats
}

extension ModelExecutor {
    public var runnerSilence: Duration? { nil }
    public var kvSources: [KVSource] { [] }

    public func loadKV(
        requestID: String, sources: [KVSource], localBlockIDs: [Int], remoteBlockIDs: [Int], timeout: Duration
    ) async throws -> KVLoadStats {
        throw ExecutorError.stepFailed("this executor's runners cannot pull KV blocks")
    }
}

/// What one runner reported at describe + profile time.
public struct RunnerProfile: Sendable, Hashable {
    public var model: String
    public var vocabSize: Int
    public var maxModelLen: Int
    public var numLayers: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var dtypeBytes: Int
    public var availableKVBytes: Int
    public var eosTokenIDs: [TokenID]
    public var bosTokenID: TokenID?
    public var incarnation: String
    /// The decoder layers this runner holds (all of them unless it is one pipeline stage), of `numLayersTotal`.
    public var layers: Range<Int>
    public var numLayersTotal: Int
    /// The step speed the runner measured after profiling (nil: not measured, e.g. a scripted runner).
    public var speed: StepSpeed?
    /// Speculative decoding with a draft model: its name and vocabulary size (nil without one).
    public var draftModel: String?
    public var draftVocabSize = 0
    /// Bytes per token of the KV caches beyond the target's (the draft model's), same block ids.
    public var extraKVBytesPerToken = 0
    /// The model's linear-layer dimensions (nil: not reported, e.g. a scripted runner).
    public var shape: ModelShape?
    /// The largest LoRA rank the runner accepts; 0 when it was started without `--enable-lora`.
    public var maxLoRARank = 0

    public init(
        model: String, vocabSize: Int, maxModelLen: Int, numLayers: Int, numKVHeads: Int, headDim: Int,
        dtypeBytes: Int, availableKVBytes: Int, eosTokenIDs: [TokenID] = [], bosTokenID: TokenID? = nil,
        incarnation: String = "", layers: Range<Int>? = nil, numLayersTotal: Int? = nil
    ) {
        self.model = model
        self.vocabSize = vocabSize
        self.maxModelLen = maxModelLen
        self.numLayers = numLayers
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.dtypeBytes = dtypeBytes
        self.availableKVBytes = availableKVBytes
        self.eosTokenIDs = eosTokenIDs
        self.bosTokenID = bosTokenID
        self.incarnation = incarnation
        self.layers = layers ?? 0..<numLayers
        self.numLayersTotal = numLayersTotal ?? numLayers
    }

    /// Bytes of one KV block on this runner: K and V for every layer it holds.
    public func bytesPerBlock(blockSize: Int) -> Int {
        2 * blockSize * numKVHeads * headDim * dtypeBytes * numLayers + blockSize * extraKVBytesPerToken
    }
}

/// Why a step could not run.
public enum ExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A runner disconnected or restarted: its KV memory is gone.
    case runnerLost(String)
    /// The runner rejected this step (bad block id, unknown request); the engine fails the step's requests.
    case stepFailed(String)

    public var description: String {
        switch self {
        case .runnerLost(let why): "runner lost: \(why)"
        case .stepFailed(let why): "step failed on the runner: \(why)"
        }
    }
}
