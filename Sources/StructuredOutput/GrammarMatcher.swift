/// The per-request matcher: which tokens may come next, and the state after each accepted token.
///
/// Used from one thread (the engine-core's step loop). `rollback(count:)` undoes accepted tokens for preemption by
/// recompute and speculative decoding; `reset()` returns to the start and keeps the lazily built automaton and mask
/// caches, so a reset matcher is as fast as a warm one.
public final class GrammarMatcher {
    private let runtime: GrammarRuntime
    /// Configurations after 0, 1, … accepted tokens; the last is current.
    private var history: [[Int32]]
    /// Whether an EOS token has been accepted, per history entry.
    private var terminatedAt: [Bool]

    init(runtime: GrammarRuntime) {
        self.runtime = runtime
        history = [runtime.initialConfiguration()]
        terminatedAt = [false]
    }

    public var vocabulary: TokenVocabulary { runtime.vocabulary }

    /// Tokens accepted since the start (or the last reset), EOS included.
    public var acceptedTokenCount: Int { history.count - 1 }

    /// True once an EOS token has been accepted.
    public var isTerminated: Bool { terminatedAt[terminatedAt.count - 1] }

    /// True where the output so far is complete, so EOS is allowed.
    public var canEnd: Bool { isTerminated || runtime.canEnd(history[history.count - 1]) }

    /// Writes the allowed tokens as a packed bitmask: bit `id % 32` of word `id / 32`, `maskWordCount` words.
    /// After termination only EOS is allowed.
    public func fillMask(into mask: inout [UInt32]) {
        if isTerminated {
            mask = Array(repeating: 0, count: vocabulary.maskWordCount)
            for eos in vocabulary.eosTokenIDs { mask[eos >> 5] |= 1 << UInt32(eos & 31) }
            return
        }
        runtime.fillMask(history[history.count - 1], into: &mask)
    }

    /// Advances by one token; returns false (and changes nothing) if the token is not allowed here.
    @discardableResult
    public func accept(token: Int) -> Bool {
        if vocabulary.eosTokenIDs.contains(token) {
            guard canEnd else { return false }
            history.append(history[history.count - 1])
            terminatedAt.append(true)
            return true
        }
        guard !isTerminated, let bytes = vocabulary.textBytes(of: token) else { return false }
        var configuration = history[history.count - 1]
        for byte in bytes {
            configuration = runtime.advance(configuration, byte)
            if configuration.isEmpty { return false }
        }
        history.append(configuration)
        terminatedAt.append(false)
        return true
    }

    /// Advances by raw bytes as one step (for tests and forced text); false and no change if they are not allowed.
    @discardableResult
    public func accept(bytes: [UInt8]) -> Bool {
        guard !isTerminated else { return false }
        var configuration = history[history.count - 1]
        for byte in bytes {
            configuration = runtime.advance(configuration, byte)
            if configuration.isEmpty { return false }
        }
        history.append(configuration)
        terminatedAt.append(false)
        return true
    }

    /// Undoes the last `count` accepted steps (tokens or byte runs).
    public func rollback(count: Int) {
        precondition(count >= 0 && count <= acceptedTokenCount, "rollback(\(count)) past the start")
        history.removeLast(count)
        terminatedAt.removeLast(count)
    }

    /// Back to the start of the output.
    public func reset() {
        rollback(count: acceptedTokenCount)
    }
}
