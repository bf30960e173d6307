/// The lazily built part of a compiled grammar: a DFA per rule (subset construction on demand), the interned
/// parse stacks, and the mask caches. Each matcher owns one (kept across `reset`); not Sendable, since it grows as
/// matching explores new states.
///
/// A configuration of the matcher is a sorted list of stack nodes. A stack node is a DFA state (the top frame) over
/// a parent node (-1 for the bottom); the parent's frame is the state where the caller resumes after the call.
final class GrammarRuntime {
    /// The automaton, grown by `builder` as calls reach fragments not built yet.
    private(set) var nfa: ByteNFA
    /// Builds the remaining fragments; nil once there are none.
    private var builder: ByteNFABuilder?
    let vocabulary: TokenVocabulary

    // DFA states: interned NFA state sets of one rule.
    private var dfaIndex: [[Int32]: Int32] = [:]
    private(set) var dfaSets: [[Int32]] = []
    private(set) var dfaAccepting: [Bool] = []
    private(set) var dfaAlive: [ByteSet] = []
    /// Calls from the state, with the DFA state the caller resumes in; nil until first needed.
    private var dfaCalls: [[(rule: Int32, resume: Int32)]?] = []
    private(set) var dfaHasCalls: [Bool] = []
    /// `transitions[state << 8 | byte]`: -2 not computed yet, -1 dead. Manually managed so the trie walk can read
    /// it through a raw pointer (reloaded after any call that may add states).
    private(set) var transitions: UnsafeMutablePointer<Int32>
    private var transitionCapacity = 0
    /// Per DFA state, the bytes that lead back to it (nil until first needed).
    private var selfLoops: [(bytes: ByteSet, room: Int)?] = []
    private var ruleStartState: [Int32]
    private var isFinal: [Bool]

    // Stack nodes.
    private var nodeIndex: [UInt64: Int32] = [:]
    private(set) var nodeFrame: [Int32] = []
    private(set) var nodeParent: [Int32] = []
    private var expansions: [Expansion?] = []

    // Mask caches.
    var innerMasks: [InnerMask?] = []
    var configMasks: [[Int32]: [UInt32]] = [:]
    var canonicalMasks: [[Int64]: InnerMask] = [:]
    static let maxCachedConfigMasks = 4096

    /// Stack nodes that can consume a byte now, after any calls and returns that consume nothing.
    struct Expansion {
        var consumable: [Int32]
        var canEnd: Bool
    }

    convenience init(nfa: ByteNFA, vocabulary: TokenVocabulary) {
        self.init(nfa: nfa, builder: nil, vocabulary: vocabulary)
    }

    init(nfa: ByteNFA, builder: ByteNFABuilder?, vocabulary: TokenVocabulary) {
        self.nfa = nfa
        self.builder = builder
        self.vocabulary = vocabulary
        ruleStartState = Array(repeating: -1, count: nfa.ruleStart.count)
        var isFinal = Array(repeating: false, count: nfa.stateCount)
        for final in nfa.ruleFinal where final >= 0 { isFinal[Int(final)] = true }
        self.isFinal = isFinal
        transitionCapacity = 64
        transitions = .allocate(capacity: transitionCapacity << 8)
    }

    deinit {
        transitions.deallocate()
    }

    var dfaStateCount: Int { dfaSets.count }

    /// The configuration before any input: the root rule's start state on an empty stack.
    func initialConfiguration() -> [Int32] {
        [node(frame: startState(of: nfa.root), parent: -1)]
    }

    func startState(of rule: Int32) -> Int32 {
        if ruleStartState[Int(rule)] < 0 {
            ensureBuilt(Int(rule))
            ruleStartState[Int(rule)] = dfaState(for: nfa.closure([nfa.ruleStart[Int(rule)]]))
        }
        return ruleStartState[Int(rule)]
    }

    /// Builds a fragment on its first call. The NFA moves into the builder and back, so its arrays are never shared
    /// while they grow. A fragment that would exceed the size limit matches nothing (the call is never taken).
    private func ensureBuilt(_ rule: Int) {
        guard var pending = builder, !pending.isBuilt(rule) else { return }
        builder = nil
        pending.nfa = nfa
        nfa = ByteNFA()
        do {
            try pending.buildFragment(rule)
        } catch {
            // NOTE: only `tooLarge` can happen here; the rule's start state keeps no edges.
        }
        nfa = pending.nfa
        pending.nfa = ByteNFA()
        builder = pending
        if isFinal.count < nfa.stateCount { isFinal += repeatElement(false, count: nfa.stateCount - isFinal.count) }
        let final = nfa.ruleFinal[rule]
        if final >= 0 { isFinal[Int(final)] = true }
    }

    func dfaState(for set: [Int32]) -> Int32 {
        if let known = dfaIndex[set] { return known }
        let id = Int32(dfaSets.count)
        dfaIndex[set] = id
        dfaSets.append(set)
        var alive = ByteSet()
        var accepting = false
        var hasCalls = false
        for state in set {
            for edge in nfa.byteEdges(from: state) { alive = alive.union(edge.bytes) }
            if ByteNFA.isVirtual(state) { continue }
            if !nfa.callEdges[Int(state)].isEmpty { hasCalls = true }
            if isFinal[Int(state)] { accepting = true }
        }
        dfaAlive.append(alive)
        dfaAccepting.append(accepting)
        dfaHasCalls.append(hasCalls)
        dfaCalls.append(nil)
        innerMasks.append(nil)
        selfLoops.append(nil)
        if Int(id) >= transitionCapacity {
            let grown = UnsafeMutablePointer<Int32>.allocate(capacity: transitionCapacity << 9)
            grown.update(from: transitions, count: transitionCapacity << 8)
            transitions.deallocate()
            transitions = grown
            transitionCapacity <<= 1
        }
        (transitions + (Int(id) << 8)).initialize(repeating: -2, count: 256)
        return id
    }

    @inline(__always)
    func transition(_ state: Int32, _ byte: UInt8) -> Int32 {
        let cached = transitions[Int(state) << 8 | Int(byte)]
        return cached != -2 ? cached : computeTransition(state, byte)
    }

    /// The bytes on which `state` goes to `shifted(state)` (itself outside counted regions), and how many such
    /// steps its counted copies have room for (computes all 256 transitions once).
    func shiftLoop(_ state: Int32) -> (bytes: ByteSet, room: Int) {
        if let known = selfLoops[Int(state)] { return known }
        let (target, room) = shifted(state)
        var set = ByteSet()
        if room > 0 {
            for byte in dfaAlive[Int(state)].bytes where transition(state, byte) == target { set.insert(byte) }
        }
        selfLoops[Int(state)] = (set, room)
        return (set, room)
    }

    /// The state with every counted copy one further (itself without virtual members), and the copies left.
    private func shifted(_ state: Int32) -> (Int32, Int) {
        let members = dfaSets[Int(state)]
        guard let first = members.first, ByteNFA.isVirtual(first) else { return (state, Int.max) }
        var room = Int.max
        var moved: [Int32] = []
        for member in members {
            guard ByteNFA.isVirtual(member) else {
                moved.append(member)
                continue
            }
            let (index, copy, local) = nfa.decode(member)
            let region = nfa.regions[index]
            if region.max == nil && copy == region.min {
                moved.append(member)  // the looping slot
                continue
            }
            room = min(room, region.slots - 1 - copy)
            guard room > 0 else { return (state, 0) }
            moved.append(nfa.virtualID(region: index, copy: copy + 1, local: local))
        }
        return (dfaState(for: moved.sorted()), room)
    }

    /// Computes the transition on `byte` and fills it in for every byte no edge of the state tells apart from it.
    func computeTransition(_ state: Int32, _ byte: UInt8) -> Int32 {
        var result: Int32 = -1
        var sameClass = ByteSet.all
        if dfaAlive[Int(state)].contains(byte) {
            var targets: [Int32] = []
            for member in dfaSets[Int(state)] {
                for edge in nfa.byteEdges(from: member) {
                    if edge.bytes.contains(byte) {
                        targets.append(edge.target)
                        sameClass = sameClass.intersection(edge.bytes)
                    } else {
                        sameClass = sameClass.subtracting(edge.bytes)
                    }
                }
            }
            result = dfaState(for: nfa.closure(targets))
        } else {
            sameClass = ByteSet.all.subtracting(dfaAlive[Int(state)])
        }
        let row = transitions + (Int(state) << 8)
        var remaining = sameClass
        while let member = remaining.first {
            row[Int(member)] = result
            remaining = remaining.subtracting(ByteSet(byte: member))
        }
        return result
    }

    func calls(_ state: Int32) -> [(rule: Int32, resume: Int32)] {
        if let known = dfaCalls[Int(state)] { return known }
        var byRule: [Int32: [Int32]] = [:]
        var order: [Int32] = []
        for member in dfaSets[Int(state)] {
            for call in nfa.callEdges(from: member) {
                if byRule[call.rule] == nil { order.append(call.rule) }
                byRule[call.rule, default: []].append(call.target)
            }
        }
        let result = order.map { (rule: $0, resume: dfaState(for: nfa.closure(byRule[$0]!))) }
        dfaCalls[Int(state)] = result
        return result
    }

    func node(frame: Int32, parent: Int32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: frame)) << 32 | UInt64(UInt32(bitPattern: parent))
        if let known = nodeIndex[key] { return known }
        let id = Int32(nodeFrame.count)
        nodeIndex[key] = id
        nodeFrame.append(frame)
        nodeParent.append(parent)
        expansions.append(nil)
        return id
    }

    /// Follows calls (push) and returns (pop at an accepting frame) that consume nothing.
    func expansion(_ start: Int32) -> Expansion {
        if let known = expansions[Int(start)] { return known }
        var result = Expansion(consumable: [], canEnd: false)
        var visited: Set<Int32> = [start]
        var work = [start]
        while let current = work.popLast() {
            let frame = nodeFrame[Int(current)]
            let parent = nodeParent[Int(current)]
            if !dfaAlive[Int(frame)].isEmpty { result.consumable.append(current) }
            if dfaAccepting[Int(frame)] {
                if parent < 0 {
                    result.canEnd = true
                } else if visited.insert(parent).inserted {
                    work.append(parent)
                }
            }
            if dfaHasCalls[Int(frame)] {
                for call in calls(frame) {
                    let caller = node(frame: call.resume, parent: parent)
                    let callee = node(frame: startState(of: call.rule), parent: caller)
                    if visited.insert(callee).inserted { work.append(callee) }
                }
            }
        }
        result.consumable.sort()
        expansions[Int(start)] = result
        return result
    }

    /// The configuration after one byte; empty if the byte is not allowed.
    func advance(_ configuration: [Int32], _ byte: UInt8) -> [Int32] {
        var result: [Int32] = []
        for start in configuration {
            for current in expansion(start).consumable {
                let next = transition(nodeFrame[Int(current)], byte)
                if next >= 0 { result.append(node(frame: next, parent: nodeParent[Int(current)])) }
            }
        }
        if result.count > 1 {
            result.sort()
            var unique: [Int32] = []
            for id in result where unique.last != id { unique.append(id) }
            return unique
        }
        return result
    }

    func canEnd(_ configuration: [Int32]) -> Bool {
        configuration.contains { expansion($0).canEnd }
    }
}
