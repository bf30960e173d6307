import ServingCore

/// vLLM's `suffix` method (Suffix Decoding, arXiv 2411.04975), over two sources: the request's own tokens (prompt
/// and output so far) and the outputs of recent requests (`maxCachedRequests`, first in first out; 0 = off).
///
/// For each source: take the longest suffix of the request's tokens (at most `maxTreeDepth` − 1 tokens) that also
/// occurs in the source, then walk the continuations of all its occurrences, each time taking the most frequent next
/// token; the path's estimated probability is the product of those frequencies, and the walk stops before it falls
/// below `minTokenProb`, after `maxSpecFactor` × the match length tokens, or when match plus drafts reach the depth.
/// The source whose path has the higher score (the sum of its tokens' probabilities) wins, as in Arctic Inference.
///
/// Arctic builds suffix trees; here the same counts come from scanning the request's tokens and from an index of the
/// cached outputs by token (the most recent `maxCandidates` occurrences of the last token are considered), so memory
/// stays one `Int32` per cached token instead of a tree node per suffix.
final class SuffixProposer: DraftProposer {
    let maxTreeDepth: Int
    let maxCachedRequests: Int
    let maxSpecFactor: Double
    let minTokenProb: Double
    /// Occurrences of the last token looked at in the cached outputs, most recent first.
    static let maxCandidates = 1024

    /// Outputs of the requests still running, as they arrive.
    private var active: [String: [TokenID]] = [:]
    /// Cached outputs, oldest first, each followed by a −1 separator (never a token, so no match crosses it).
    private var store: [TokenID] = []
    /// The absolute position of `store[0]`, and of the first output not evicted (evicted ones stay until compaction).
    private var base = 0
    private var firstLive = 0
    /// Absolute start positions of the cached outputs, oldest first.
    private var starts: [Int] = []
    /// Each token's absolute positions in the cache, in order.
    private var index: [TokenID: [Int]] = [:]

    init(maxTreeDepth: Int, maxCachedRequests: Int, maxSpecFactor: Double, minTokenProb: Double) {
        self.maxTreeDepth = maxTreeDepth
        self.maxCachedRequests = maxCachedRequests
        self.maxSpecFactor = maxSpecFactor
        self.minTokenProb = minTokenProb
    }

    func observe(reqID: String, newTokens: [TokenID]) {
        guard maxCachedRequests > 0, !newTokens.isEmpty else { return }
        active[reqID, default: []].append(contentsOf: newTokens)
    }

    func finished(reqID: String) {
        guard let output = active.removeValue(forKey: reqID), !output.isEmpty else { return }
        cache(output)
    }

    func propose(reqID: String, promptLength: Int, tokens: ArraySlice<TokenID>, maxDrafts: Int) -> [TokenID] {
        guard maxDrafts > 0, !tokens.isEmpty else { return [] }
        let context = Array(tokens.suffix(maxTreeDepth))
        var best = Self.Path()
        tokens.withContiguousStorageIfAvailable { own in
            // The request's own tokens: occurrences ending before the last token.
            best = speculate(context: context, maxDrafts: maxDrafts) { visit in
                var end = own.count - 2
                while end >= 0 {
                    visit(own, end, own.count)
                    end -= 1
                }
            }
        }
        if let positions = index[context[context.count - 1]] {
            let cached = store.withUnsafeBufferPointer { s in
                speculate(context: context, maxDrafts: maxDrafts) { visit in
                    var seen = 0
                    for p in positions.reversed() {
                        guard p >= firstLive, seen < Self.maxCandidates else { break }
                        visit(s, p - base, s.count)
                        seen += 1
                    }
                }
            }
            if cached.score > best.score { best = cached }
        }
        return best.tokens
    }

    struct Path {
        var tokens: [TokenID] = []
        var score = 0.0
    }

    /// Matches `context` against the occurrences `candidates` visits (a buffer, the position of an occurrence of the
    /// context's last token, and where that occurrence's sequence ends) and walks their continuations.
    private func speculate(
        context: [TokenID], maxDrafts: Int,
        candidates: ((UnsafeBufferPointer<TokenID>, Int, Int) -> Void) -> Void
    ) -> Path {
        // (buffer base, next position, sequence end) of the occurrences with the longest match.
        var matches: [(UnsafeBufferPointer<TokenID>, Int, Int)] = []
        var longest = 0
        let maxMatch = min(context.count, maxTreeDepth - 1)
        candidates { buffer, end, limit in
            guard buffer[end] == context[context.count - 1] else { return }
            var length = 1
            while length < maxMatch && end - length >= 0
                && buffer[end - length] == context[context.count - 1 - length]
            {
                length += 1
            }
            if length > longest {
                longest = length
                matches.removeAll(keepingCapacity: true)
            }
            if length == longest { matches.append((buffer, end + 1, limit)) }
        }
        guard longest > 0 else { return Path() }
        let budget = min(maxDrafts, Int(maxSpecFactor * Double(longest)), maxTreeDepth - longest)
        var path = Path()
        var probability = 1.0
        var alive = matches
        while path.tokens.count < budget && !alive.isEmpty {
            var counts: [TokenID: Int] = [:]
            for (buffer, next, limit) in alive where next < limit && buffer[next] >= 0 {
                counts[buffer[next], default: 0] += 1
            }
            // Ties go to the smaller token id, so the choice does not depend on dictionary order.
            guard let (token, count) = counts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) else { break }
            let p = probability * Double(count) / Double(alive.count)
            guard p >= minTokenProb else { break }
            probability = p
            path.tokens.append(token)
            path.score += p
            alive = alive.compactMap { buffer, next, limit in
                next < limit && buffer[next] == token ? (buffer, next + 1, limit) : nil
            }
        }
        return path
    }

    /// Adds a finished request's output to the cache, evicting the oldest beyond `maxCachedRequests`.
    private func cache(_ output: [TokenID]) {
        let start = base + store.count
        starts.append(start)
        store.append(contentsOf: output)
        store.append(-1)
        for (k, t) in output.enumerated() { index[t, default: []].append(start + k) }
        guard starts.count > maxCachedRequests else { return }
        starts.removeFirst()
        firstLive = starts.first ?? base + store.count
        // Compact once evicted outputs are half the store: drop them and rebuild the index.
        guard (firstLive - base) * 2 >= store.count else { return }
        store.removeFirst(firstLive - base)
        base = firstLive
        index.removeAll(keepingCapacity: true)
        for (k, t) in store.enumerated() where t >= 0 { index[t, default: []].append(base + k) }
    }
}
