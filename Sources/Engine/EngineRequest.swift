import Scheduling
import ServingCore
import StructuredOutput

/// A request as the engine-core receives it: token ids only (the api tokenized it).
///
/// Equality and hashing leave out `grammar`, which is derived from `samplingParams.structuredOutputs`.
public struct EngineRequest: Sendable, Hashable {
    public var requestID: String
    public var promptTokenIDs: [TokenID]
    public var samplingParams: SamplingParams
    public var eosTokenID: TokenID?
    public var priority: Int
    /// The LoRA adapter to run with; nil for the base model.
    public var lora: LoRARequest?
    public var cacheSalt: String?
    /// Disaggregated prefill/decode (docs/disaggregation.md); nil for an ordinary request.
    public var kvTransfer: KVTransferParams?
    /// The compiled `samplingParams.structuredOutputs`, set by `EngineCore.generate` before the request is queued.
    public var grammar: CompiledGrammar?

    public init(
        requestID: String, promptTokenIDs: [TokenID], samplingParams: SamplingParams = SamplingParams(),
        eosTokenID: TokenID? = nil, priority: Int = 0, lora: LoRARequest? = nil, cacheSalt: String? = nil,
        kvTransfer: KVTransferParams? = nil
    ) {
        self.requestID = requestID
        self.promptTokenIDs = promptTokenIDs
        self.samplingParams = samplingParams
        self.eosTokenID = eosTokenID
        self.priority = priority
        self.lora = lora
        self.cacheSalt = cacheSalt
        self.kvTransfer = kvTransfer
    }

    public static func == (a: EngineRequest, b: EngineRequest) -> Bool {
        a.requestID == b.requestID && a.promptTokenIDs == b.promptTokenIDs && a.samplingParams == b.samplingParams
            && a.eosTokenID == b.eosTokenID && a.priority == b.priority && a.lora == b.lora
            && a.cacheSalt == b.cacheSalt && a.kvTransfer == b.kvTransfer
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(requestID)
        hasher.combine(promptTokenIDs)
        hasher.combine(samplingParams)
    }
}

/// Where a request's outputs go. `emit` runs on the engine loop for every output (the last one carries the
/// finish reason); `close` runs exactly once when the engine is done with the request.
public struct RequestSink: Sendable {
    public var emit: @Sendable (EngineCoreOutput) -> Void
    public var close: @Sendable (EngineRequestError?) -> Void

    public init(emit: @escaping @Sendable (EngineCoreOutput) -> Void,
                close: @escaping @Sendable (EngineRequestError?) -> Void) {
        self.emit = emit
        self.close = close
    }
}

/// Why the engine refused or ended a request without a normal finish.
public enum EngineRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case duplicate(String)
    case runnerUnavailable(String)
    case shuttingDown
    /// The admission bound is reached: retry later (RESOURCE_EXHAUSTED).
    case full(String)

    public var description: String {
        switch self {
        case .invalid(let why): why
        case .duplicate(let id): "request id \(id) is already running"
        case .runnerUnavailable(let why): "no runner available: \(why)"
        case .shuttingDown: "the engine is shutting down"
        case .full(let why): why
        }
    }
}
