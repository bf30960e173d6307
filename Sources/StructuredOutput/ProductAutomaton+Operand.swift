extension ProductAutomaton {
    /// One operand's subset automaton, built as the product explores it, a whole row of byte classes at a time. A
    /// class, so the product loop steps it in place.
    ///
    /// Subsets hold only the states that matter after an epsilon closure (those with byte edges, and the final
    /// state): closures that agree on them behave the same, and the sets stay several times smaller.
    final class OperandDFA {
        let nfa: ByteNFA
        let classes: [ByteSet]
        let final: Int32
        private var index: [[Int32]: Int32] = [:]
        private(set) var sets: [[Int32]] = []
        private var acceptingSets: [Bool] = []
        /// `transitions[subset * classes.count + class]`: -2 not computed yet, -1 dead.
        private var transitions: [Int32] = []
        private(set) var startID: Int32 = 0
        /// The classes inside each edge label.
        private var labelClasses: [ByteSet: [Int]] = [:]
        /// Per NFA state, the states that matter in its closure (memoized up to `maxMemoizedStates` in all).
        private var closures: [[Int32]?]
        private var memoized = 0
        static let maxMemoizedStates = 1 << 20
        /// Visit marks: `generation` marks a state seen by the current closure.
        private var marks: [UInt32]
        private var generation: UInt32 = 0

        /// The subset of a complemented operand after it died (no NFA states, never accepting).
        static let dead: Int32 = -3

        init(nfa: ByteNFA, classes: [ByteSet]) {
            self.nfa = nfa
            self.classes = classes
            final = nfa.ruleFinal[Int(nfa.root)]
            closures = Array(repeating: nil, count: nfa.stateCount)
            marks = Array(repeating: 0, count: nfa.stateCount)
            startID = intern(closure([nfa.ruleStart[Int(nfa.root)]]))
        }

        func accepting(_ id: Int32) -> Bool { id != Self.dead && acceptingSets[Int(id)] }

        func step(_ id: Int32, _ byteClass: Int) -> Int32 {
            if id == Self.dead { return Self.dead }
            let slot = Int(id) * classes.count + byteClass
            if transitions[slot] == -2 { computeRow(id) }
            return transitions[slot]
        }

        /// The transitions on every class: one pass over the members' edges, then one closure per class.
        private func computeRow(_ id: Int32) {
            var targets = [[Int32]](repeating: [], count: classes.count)
            for member in sets[Int(id)] {
                for edge in nfa.byteEdges(from: member) {
                    for byteClass in classesInside(edge.bytes) { targets[byteClass].append(edge.target) }
                }
            }
            let row = Int(id) * classes.count
            for byteClass in classes.indices {
                transitions[row + byteClass] = targets[byteClass].isEmpty ? -1 : intern(closure(targets[byteClass]))
            }
        }

        private func classesInside(_ label: ByteSet) -> [Int] {
            if let known = labelClasses[label] { return known }
            let inside = classes.indices.filter { label.contains(classes[$0].first!) }
            labelClasses[label] = inside
            return inside
        }

        private func intern(_ set: [Int32]) -> Int32 {
            if let known = index[set] { return known }
            let id = Int32(sets.count)
            index[set] = id
            sets.append(set)
            acceptingSets.append(set.contains(final))
            transitions.append(contentsOf: repeatElement(-2, count: classes.count))
            return id
        }

        private func matters(_ state: Int32) -> Bool { state == final || !nfa.byteEdges(from: state).isEmpty }

        /// The states that matter in the closure of `seeds`, sorted.
        private func closure(_ seeds: [Int32]) -> [Int32] {
            // NOTE: virtual states (a repetition too long to expand) take the general path.
            guard nfa.regions.isEmpty else { return nfa.closure(seeds).filter(matters) }
            let parts = seeds.map { closure(of: $0) }
            if parts.count == 1 { return parts[0] }
            var result: [Int32] = []
            nextGeneration()
            for part in parts {
                for state in part where marks[Int(state)] != generation {
                    marks[Int(state)] = generation
                    result.append(state)
                }
            }
            result.sort()
            return result
        }

        private func closure(of state: Int32) -> [Int32] {
            if let known = closures[Int(state)] { return known }
            var result: [Int32] = []
            var stack = [state]
            nextGeneration()
            marks[Int(state)] = generation
            while let current = stack.popLast() {
                if matters(current) { result.append(current) }
                for target in nfa.epsilonEdges[Int(current)] where marks[Int(target)] != generation {
                    marks[Int(target)] = generation
                    stack.append(target)
                }
            }
            result.sort()
            if memoized < Self.maxMemoizedStates {
                memoized += result.count
                closures[Int(state)] = result
            }
            return result
        }

        private func nextGeneration() {
            generation &+= 1
            if generation == 0 {
                for i in marks.indices { marks[i] = 0 }
                generation = 1
            }
        }
    }

    /// Product states: tuples of operand subset ids, stored flat and numbered in order of discovery.
    struct TupleTable {
        let width: Int
        private(set) var flat: [Int32] = []
        /// Tuples of one or two ids packed into a word (the common case: a pattern and a length).
        private var packed: [UInt64: Int32] = [:]
        private var general: [[Int32]: Int32] = [:]

        init(width: Int) {
            self.width = width
        }

        var count: Int { flat.count / width }

        mutating func intern(_ tuple: [Int32]) -> (id: Int32, isNew: Bool) {
            let id = Int32(count)
            if width <= 2 {
                let key = UInt64(UInt32(bitPattern: tuple[0])) << 32 | UInt64(UInt32(bitPattern: tuple.last!))
                if let known = packed[key] { return (known, false) }
                packed[key] = id
            } else {
                if let known = general[tuple] { return (known, false) }
                general[tuple] = id
            }
            flat.append(contentsOf: tuple)
            return (id, true)
        }
    }
}
