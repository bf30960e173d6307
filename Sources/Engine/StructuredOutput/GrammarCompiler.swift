import Dispatch
import ServingCore
import StructuredOutput
import Synchronization

/// Compiles structured-output constraints against the model's vocabulary for the engine-core
/// (docs/architecture.md §6.5): off the engine loop, cached, and within a time limit.
///
/// `EngineCore.generate` calls `compile` in the request's own task before queuing the request, so a slow grammar
/// delays only its request (vLLM's `WAITING_FOR_FSM`, without the extra status). Compilation runs on Dispatch's
/// utility threads, not on the cooperative pool the engine loop uses. A compile that passes `timeout` fails its
/// request; it still finishes in the background and is cached, so a retry finds it.
public final class GrammarCompiler: Sendable {
    public let vocabulary: TokenVocabulary
    public let timeout: Duration
    private let cache = Mutex(GrammarCache())
    /// Compiled grammars kept (least recently used evicted first).
    static let cacheCapacity = 256

    public init(vocabulary: TokenVocabulary, timeout: Duration = .seconds(10)) {
        self.vocabulary = vocabulary
        self.timeout = timeout
    }

    /// The compiled grammar of `params`; throws `.invalid` naming the problem (a bad schema, an unsupported
    /// feature, a compile past the time limit).
    public func compile(_ params: StructuredOutputsParams) async throws(EngineRequestError) -> CompiledGrammar {
        let spec = try Self.spec(params)
        if let hit = cache.withLock({ $0.get(spec) }) { return hit }
        let timeout = self.timeout
        let pending = Mutex<CheckedContinuation<Result<CompiledGrammar, EngineRequestError>, Never>?>(nil)
        @Sendable func finish(_ result: Result<CompiledGrammar, EngineRequestError>) {
            pending.withLock { c in
                c?.resume(returning: result)
                c = nil
            }
        }
        let result = await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            let late = EngineRequestError.invalid("structured_outputs: the grammar did not compile within \(timeout)")
            let start = ContinuousClock.now
            DispatchQueue.global(qos: .utility).async {
                do {
                    let grammar = try CompiledGrammar(spec, vocabulary: self.vocabulary)
                    self.cache.withLock { $0.put(spec, grammar, capacity: Self.cacheCapacity) }
                    // A compile that overran fails even when it beat the timer below to report.
                    finish(start.duration(to: .now) > timeout ? .failure(late) : .success(grammar))
                } catch {
                    finish(.failure(.invalid("structured_outputs: \(error)")))
                }
            }
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + seconds) { finish(.failure(late)) }
        }
        return try result.get()
    }

    /// The grammar engine's spec for the request's constraint, the JSON options included (they are part of the cache
    /// key); options it cannot honour are refused, never ignored.
    static func spec(_ params: StructuredOutputsParams) throws(EngineRequestError) -> GrammarSpec {
        do {
            try params.validate()
        } catch {
            throw .invalid("structured_outputs: \(error.message)")
        }
        var format = JSONFormat(disableAdditionalProperties: params.disableAdditionalProperties)
        if params.disableAnyWhitespace { format.whitespace = .none }
        if !params.whitespacePattern.isEmpty { format.whitespace = .pattern(params.whitespacePattern) }
        switch params.kind {
        case .json: return .jsonSchema(params.spec, format)
        case .regex: return .regex(params.spec)
        case .choice: return .choice(params.choice)
        case .grammar: return .gbnf(params.spec)
        case .jsonObject: return .jsonObject(format)
        }
    }
}

/// A small LRU map from spec to compiled grammar.
struct GrammarCache {
    private var entries: [GrammarSpec: (grammar: CompiledGrammar, lastUse: Int)] = [:]
    private var clock = 0

    mutating func get(_ spec: GrammarSpec) -> CompiledGrammar? {
        guard let entry = entries[spec] else { return nil }
        clock += 1
        entries[spec] = (entry.grammar, clock)
        return entry.grammar
    }

    mutating func put(_ spec: GrammarSpec, _ grammar: CompiledGrammar, capacity: Int) {
        clock += 1
        entries[spec] = (grammar, clock)
        if entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
        }
    }
}
