/// Finds stop strings in generated text (docs/architecture.md §6.2); pure, in Unicode scalars like Python's `str`.
///
/// Only the text added since the last check is searched, plus `len(stop) − 1` scalars before it, so a stop string
/// split across token boundaries is still found, and one already passed is not found twice. The earliest-completing
/// match wins; ties go to the earlier stop string in the list.
struct StopStringMatcher: Sendable {
    let stops: [[Unicode.Scalar]]
    let includeInOutput: Bool

    init(_ stops: [String], includeInOutput: Bool) {
        self.stops = stops.map { Array($0.unicodeScalars) }
        self.includeInOutput = includeInOutput
    }

    /// How many trailing scalars a stream must hold back while unfinished so a partial stop string never leaks.
    var holdBack: Int {
        guard !includeInOutput, let longest = stops.map(\.count).max() else { return 0 }
        return max(longest - 1, 0)
    }

    struct Match: Equatable {
        /// Index into `stops`.
        var stopIndex: Int
        /// Where the text is cut: the match start, or its end with `includeInOutput`.
        var truncateAt: Int
    }

    /// Searches `text` for a stop string that ends after `previousCount` (the length before the newest text).
    func match(in text: [Unicode.Scalar], previousCount: Int) -> Match? {
        var best: (end: Int, match: Match)?
        for (i, stop) in stops.enumerated() where !stop.isEmpty && stop.count <= text.count {
            let from = max(0, previousCount - stop.count + 1)
            guard let start = firstIndex(of: stop, in: text, from: from) else { continue }
            let end = start + stop.count
            if best == nil || end < best!.end {
                best = (end, Match(stopIndex: i, truncateAt: includeInOutput ? end : start))
            }
        }
        return best?.match
    }

    private func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar], from: Int) -> Int? {
        let last = haystack.count - needle.count
        guard from <= last else { return nil }
        outer: for start in from...last {
            for j in 0..<needle.count where haystack[start + j] != needle[j] { continue outer }
            return start
        }
        return nil
    }
}
