/// A byte-level NFA with call edges: one fragment per rule that is not inlined (the root, recursive rules and rules
/// too big to copy); everything else is expanded in place. Immutable once built.
struct ByteNFA: Sendable {
    struct ByteEdge: Sendable {
        var bytes: ByteSet
        var target: Int32
    }

    /// `rule` is called (pushed) from the source state; when it returns, matching continues at `target`.
    struct CallEdge: Sendable {
        var rule: Int32
        var target: Int32
    }

    var byteEdges: [[ByteEdge]] = []
    var epsilonEdges: [[Int32]] = []
    var callEdges: [[CallEdge]] = []
    /// Per grammar rule: the fragment's start and final state, or -1 if the rule has no fragment of its own.
    var ruleStart: [Int32] = []
    var ruleFinal: [Int32] = []
    var ruleNames: [String] = []
    var root: Int32 = 0
    /// Long bounded repetitions, whose states are virtual (see `ByteNFA+Regions`).
    var regions: [CountedRegion] = []

    var stateCount: Int { byteEdges.count }

    mutating func addState() -> Int32 {
        byteEdges.append([])
        epsilonEdges.append([])
        callEdges.append([])
        return Int32(byteEdges.count - 1)
    }

    /// The states reachable through epsilon edges (not through calls), sorted (virtual states first).
    func closure(_ states: [Int32]) -> [Int32] {
        // Closures are small: a linear membership test beats hashing until they are not.
        var seen: [Int32] = []
        var set = Set<Int32>()
        var stack = states
        func insert(_ state: Int32) -> Bool {
            if !set.isEmpty { return set.insert(state).inserted }
            if seen.contains(state) { return false }
            seen.append(state)
            if seen.count > 64 { set = Set(seen) }
            return true
        }
        stack = stack.filter { insert($0) }
        while let state = stack.popLast() {
            for next in epsilonEdges(from: state) where insert(next) {
                stack.append(next)
            }
        }
        return set.isEmpty ? seen.sorted() : set.sorted()
    }
}
