extension ByteNFA {
    /// A long bounded repetition `body{min,max}` kept as one template instead of `max` copies: its states are
    /// virtual (negative ids encode copy and template state), so the automaton stays small and the count exact.
    struct CountedRegion: Sendable {
        /// The body's own automaton (one rule, no calls).
        var template: ByteNFA
        var templateStart: Int32
        var templateFinal: Int32
        var min: Int
        var max: Int?
        /// The real state after the repetition.
        var exit: Int32
        /// Virtual ids of this region are `-1 - (offset + copy * template.stateCount + state)`.
        var offset: Int
        /// Whether the body can match the empty string (then counts are not tied to bytes).
        var nullableBody: Bool

        /// Copy slots: bounded repetitions have `max`; unbounded ones loop in the last slot (`min`).
        var slots: Int { max ?? (min + 1) }
        var size: Int { slots * template.stateCount }
    }

    /// The most virtual states all regions together may have.
    static let maxVirtualStates = 1 << 30

    @inline(__always)
    static func isVirtual(_ state: Int32) -> Bool { state < 0 }

    static func regionIndex(of state: Int32, in regions: [CountedRegion]) -> Int {
        let index = Int(-1 - state)
        var low = 0
        var high = regions.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if regions[mid].offset <= index { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// (region, copy, template state) of a virtual id.
    func decode(_ state: Int32) -> (region: Int, copy: Int, local: Int32) {
        let index = Int(-1 - state)
        let low = Self.regionIndex(of: state, in: regions)
        let region = regions[low]
        let relative = index - region.offset
        let count = region.template.stateCount
        return (low, relative / count, Int32(relative % count))
    }

    func virtualID(region: Int, copy: Int, local: Int32) -> Int32 {
        let r = regions[region]
        return Int32(-1 - (r.offset + copy * r.template.stateCount + Int(local)))
    }

    func byteEdges(from state: Int32) -> [ByteEdge] {
        guard Self.isVirtual(state) else { return byteEdges[Int(state)] }
        let (region, copy, local) = decode(state)
        return regions[region].template.byteEdges[Int(local)].map {
            ByteEdge(bytes: $0.bytes, target: virtualID(region: region, copy: copy, local: $0.target))
        }
    }

    func epsilonEdges(from state: Int32) -> [Int32] {
        guard Self.isVirtual(state) else { return epsilonEdges[Int(state)] }
        let (index, copy, local) = decode(state)
        let region = regions[index]
        var result = region.template.epsilonEdges[Int(local)].map { virtualID(region: index, copy: copy, local: $0) }
        if local == region.templateFinal {
            let completed = copy + 1
            if completed >= region.min { result.append(region.exit) }
            if let max = region.max {
                if completed < max {
                    result.append(virtualID(region: index, copy: completed, local: region.templateStart))
                }
            } else {
                result.append(
                    virtualID(region: index, copy: Swift.min(completed, region.min), local: region.templateStart))
            }
        }
        return result
    }

    func callEdges(from state: Int32) -> [CallEdge] {
        Self.isVirtual(state) ? [] : callEdges[Int(state)]
    }

    /// Appends a region for `body{min,max}` after `entry`; returns the exit state.
    mutating func addRegion(template: ByteNFA, min: Int, max: Int?, entry: Int32) throws -> Int32 {
        let exit = addState()
        let start = template.ruleStart[Int(template.root)]
        let final = template.ruleFinal[Int(template.root)]
        let offset = regions.last.map { $0.offset + $0.size } ?? 0
        var region = CountedRegion(
            template: template, templateStart: start, templateFinal: final, min: min, max: max, exit: exit,
            offset: offset, nullableBody: template.closure([start]).contains(final))
        guard offset + region.size <= Self.maxVirtualStates else {
            throw GrammarError.tooLarge("a repetition of \(region.slots) copies")
        }
        region.offset = offset
        regions.append(region)
        epsilonEdges[Int(entry)].append(virtualID(region: regions.count - 1, copy: 0, local: start))
        if min == 0 { epsilonEdges[Int(entry)].append(exit) }
        return exit
    }
}
