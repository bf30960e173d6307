extension GrammarRuntime {
    /// What one DFA state allows on its own: tokens whose bytes all stay inside the frame's rule, and the trie nodes
    /// below which a token may leave the frame (call or return) after at least one byte.
    struct InnerMask {
        var bits: [UInt32]
        var exits: [(trieNode: Int32, state: Int32)]
    }

    /// Fills `mask` (zeroed here) with the tokens allowed in `configuration`; EOS where the grammar can end.
    ///
    /// Per consumable stack node: the top frame's cached inner mask, plus a walk of the trie in full
    /// (stack-aware) mode below each exit point, which depends on the rest of the stack and is not cached per frame.
    func fillMask(_ configuration: [Int32], into mask: inout [UInt32]) {
        if let cached = configMasks[configuration] {
            mask = cached
            return
        }
        let words = vocabulary.maskWordCount
        if mask.count != words {
            mask = Array(repeating: 0, count: words)
        } else {
            for index in 0..<words { mask[index] = 0 }
        }
        var canEnd = false
        for start in configuration {
            let expanded = expansion(start)
            canEnd = canEnd || expanded.canEnd
            for current in expanded.consumable {
                addMask(of: current, into: &mask)
            }
        }
        if canEnd {
            for eos in vocabulary.eosTokenIDs { mask[eos >> 5] |= 1 << UInt32(eos & 31) }
        }
        if configMasks.count >= Self.maxCachedConfigMasks { configMasks.removeAll(keepingCapacity: true) }
        configMasks[configuration] = mask
    }

    private func addMask(of current: Int32, into mask: inout [UInt32]) {
        let frame = nodeFrame[Int(current)]
        let parent = nodeParent[Int(current)]
        let inner = innerMask(frame)
        mask.withUnsafeMutableBufferPointer { out in
            inner.bits.withUnsafeBufferPointer { bits in
                for index in 0..<bits.count { out[index] |= bits[index] }
            }
        }
        for exit in inner.exits {
            if parent < 0 && !dfaHasCalls[Int(exit.state)] { continue }  // the end of the input: nothing follows
            let exitNode = node(frame: exit.state, parent: parent)
            let next = expansion(exitNode).consumable.filter { $0 != exitNode }
            if !next.isEmpty { walkStacks(below: exit.trieNode, next, into: &mask) }
        }
    }

    /// The stack-aware walk: every byte goes through `advance`; prunes a subtree as soon as no stack survives.
    private func walkStacks(below trieNode: Int32, _ consumable: [Int32], into mask: inout [UInt32]) {
        let trie = vocabulary.trie
        var child = Int(trieNode) + 1
        let end = Int(trie.subtreeEnd[Int(trieNode)])
        while child < end {
            let next = advance(consumable, trie.byte[child])
            if !next.isEmpty {
                for index in Int(trie.tokenStart[child])..<Int(trie.tokenStart[child + 1]) {
                    let token = Int(trie.tokenIDs[index])
                    mask[token >> 5] |= 1 << UInt32(token & 31)
                }
                if trie.subtreeEnd[child] > child + 1 {
                    var expanded: [Int32] = []
                    for start in next { expanded += expansion(start).consumable }
                    walkStacks(below: Int32(child), expanded, into: &mask)
                }
            }
            child = Int(trie.subtreeEnd[child])
        }
    }

    func innerMask(_ state: Int32) -> InnerMask {
        if let known = innerMasks[Int(state)] { return known }
        let key = canonicalKey(state)
        if let key, let shared = canonicalMasks[key] {
            innerMasks[Int(state)] = shared
            return shared
        }
        let computed = computeInnerMask(state)
        if let key, !computed.exits.contains(where: { dfaSets[Int($0.state)].first ?? 0 < 0 }) {
            canonicalMasks[key] = computed
        }
        innerMasks[Int(state)] = computed
        return computed
    }

    /// Whether `next` (reached from `from` on `byte`) may loop: the byte leads back to `next` itself, or `next` is a
    /// counted state one copy on from `from`'s counterpart.
    @inline(__always)
    private func isLoopCandidate(_ from: Int32, _ next: Int32, _ byte: UInt8) -> Bool {
        let again = transition(next, byte)
        if again == next { return true }
        guard let first = dfaSets[Int(next)].first, ByteNFA.isVirtual(first) else { return false }
        return again >= 0 && dfaSets[Int(again)].count == dfaSets[Int(next)].count
    }

    /// For a state inside counted regions: its NFA set with each copy index replaced by how many copies remain
    /// before the minimum and the maximum, clamped past the longest token. States with equal keys allow the same
    /// tokens (each copy takes at least one byte), so the positions of a long `maxLength` string share one walk.
    private func canonicalKey(_ state: Int32) -> [Int64]? {
        let members = dfaSets[Int(state)]
        guard let first = members.first, first < 0 else { return nil }
        let clamp = vocabulary.trie.maxDepth + 1
        var key: [Int64] = []
        for member in members {
            guard ByteNFA.isVirtual(member) else {
                key.append(Int64(member))
                continue
            }
            let (index, copy, local) = nfa.decode(member)
            let region = nfa.regions[index]
            if region.nullableBody { return nil }
            let toMin = Swift.min(Swift.max(0, region.min - copy), clamp)
            let toMax = region.max.map { Swift.min($0 - copy, clamp) } ?? clamp + 1
            key.append(-1 - (Int64(index) << 40 | Int64(local) << 24 | Int64(toMin) << 12 | Int64(toMax)))
        }
        return key
    }

    /// One forward pass over the trie in preorder, keeping the DFA state per depth. A subtree whose bytes all loop
    /// on the current state (string contents, mostly) is accepted whole without visiting it.
    private func computeInnerMask(_ start: Int32) -> InnerMask {
        let trie = vocabulary.trie
        var bits = [UInt32](repeating: 0, count: vocabulary.maskWordCount)
        var exits: [(trieNode: Int32, state: Int32)] = []
        var stateAt = [Int32](repeating: -1, count: trie.maxDepth + 1)
        stateAt[0] = start
        trie.withBuffers { t in
            bits.withUnsafeMutableBufferPointer { bits in
                var node = 1
                while node < t.count {
                    let level = Int(t.depth[node])
                    let from = stateAt[level - 1]
                    var next = transitions[Int(from) << 8 | Int(t.byte[node])]
                    if next == -2 { next = computeTransition(from, t.byte[node]) }
                    if next < 0 {
                        node = Int(t.subtreeEnd[node])
                        continue
                    }
                    stateAt[level] = next
                    let end = Int(t.subtreeEnd[node])
                    let exitCapable = dfaAccepting[Int(next)] || dfaHasCalls[Int(next)]
                    // Only states that loop (or shift a count) on the byte that reached them are worth all 256
                    // transitions; the subtree is accepted whole if its bytes keep looping and the count has room.
                    if end - node > 8 && !exitCapable && isLoopCandidate(from, next, t.byte[node]),
                        case let loop = shiftLoop(next), Int(t.height[node]) <= loop.room,
                        t.descendantBytes[node].isSubset(of: loop.bytes)
                    {
                        trie.addSubtree(node, t, into: bits)
                        node = end
                        continue
                    }
                    for index in Int(t.tokenStart[node])..<Int(t.tokenStart[node + 1]) {
                        let token = Int(t.tokenIDs[index])
                        bits[token >> 5] |= 1 << UInt32(token & 31)
                    }
                    if exitCapable && end > node + 1 { exits.append((Int32(node), next)) }
                    node += 1
                }
            }
        }
        return InnerMask(bits: bits, exits: exits)
    }
}
