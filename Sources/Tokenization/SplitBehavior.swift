/// How a split keeps the matched delimiters (HF `SplitDelimiterBehavior`).
enum SplitBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// Cuts `0..<count` into pieces given the delimiter matches; empty pieces are dropped.
    func pieces(count: Int, matches: [Range<Int>]) -> [Range<Int>] {
        var marked: [(Range<Int>, Bool)] = []  // (range, isMatch)
        var last = 0
        for match in matches {
            if last < match.lowerBound { marked.append((last..<match.lowerBound, false)) }
            marked.append((match, true))
            last = match.upperBound
        }
        if last < count { marked.append((last..<count, false)) }
        var result: [Range<Int>] = []
        switch self {
        case .isolated:
            result = marked.map(\.0)
        case .removed:
            result = marked.filter { !$0.1 }.map(\.0)
        case .mergedWithPrevious:
            var pendingStart: Int? = nil
            for (range, isMatch) in marked {
                if isMatch {
                    result.append((pendingStart ?? range.lowerBound)..<range.upperBound)
                    pendingStart = nil
                } else {
                    if let start = pendingStart { result.append(start..<range.lowerBound) }
                    pendingStart = range.lowerBound
                }
            }
            if let start = pendingStart { result.append(start..<count) }
        case .mergedWithNext:
            var pendingStart: Int? = nil
            for (range, isMatch) in marked {
                if isMatch {
                    if let start = pendingStart { result.append(start..<range.lowerBound) }
                    pendingStart = range.lowerBound
                } else {
                    result.append((pendingStart ?? range.lowerBound)..<range.upperBound)
                    pendingStart = nil
                }
            }
            if let start = pendingStart { result.append(start..<count) }
        case .contiguous:
            var current: (Range<Int>, Bool)? = nil
            for (range, isMatch) in marked {
                if let open = current, open.1 == isMatch && isMatch {
                    current = (open.0.lowerBound..<range.upperBound, true)
                } else {
                    if let open = current { result.append(open.0) }
                    current = (range, isMatch)
                }
            }
            if let open = current { result.append(open.0) }
        }
        return result.filter { !$0.isEmpty }
    }
}
