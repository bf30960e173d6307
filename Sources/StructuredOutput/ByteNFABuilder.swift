/// Builds a `ByteNFA` from a `GrammarDefinition` (Thompson construction over bytes, appending after a state).
///
/// A rule reference is inlined when the rule is not recursive and its expansion is small; otherwise it becomes a
/// call edge to the rule's own fragment, so recursion and heavily shared rules cost one fragment each. Fragments are
/// built up to a state budget at compile time and the rest on first call (`buildFragment`), so a huge schema costs
/// only the parts an output reaches.
struct ByteNFABuilder: Sendable {
    /// The most NFA states one grammar may have.
    static let maxStates = 1_000_000
    /// A rule referenced from several places is inlined only if its expansion has at most this many byte edges;
    /// bigger ones get their own fragment (called), so shared definitions are built once.
    static let inlineLimit = 400
    /// A rule referenced once is inlined up to this size; bigger ones are fragments, built when first called.
    static let singleUseInlineLimit = 4_000
    /// Fragments are built at compile time while the automaton is smaller than this.
    static let eagerStateBudget = 20_000

    let grammar: GrammarDefinition
    let analysis: GrammarAnalysis
    var nfa = ByteNFA()
    private var built: [Bool]
    private var recursive: [Bool]
    private var singleUse: [Bool]
    private var sizeMemo: [Int?]
    private var pendingRules: [Int] = []
    /// Intersections already computed (schemas repeat the same pattern and length on many properties).
    private var products: [[GrammarExpr]: ByteNFA] = [:]
    private var scopes: [(tails: [GrammarExpr], built: [Int: (start: Int32, end: Int32)])] = []
    private var countedRegions = true
    private var characterShapes: [CodepointSet: CharacterShape] = [:]
    private var regionTemplates: [GrammarExpr: ByteNFA] = [:]
    private var expansionTemplates: [GrammarExpr: ByteNFA] = [:]
    private var repeatShapes: [GrammarExpr: RepeatShape?] = [:]
    static let expandedRepeatLimit = 20_000

    /// The whole automaton, every fragment built. `countedRegions: false` expands long repetitions up to
    /// `expandedRepeatLimit` edges: the operands of an intersection are determinized, and plain states are much
    /// cheaper to determinize than virtual ones.
    static func build(_ grammar: GrammarDefinition, countedRegions: Bool = true) throws -> ByteNFA {
        try prepare(grammar, eagerBudget: Int.max, countedRegions: countedRegions).nfa
    }

    /// The whole automaton, sharing (and extending) a cache of intersections with the caller.
    static func build(
        _ grammar: GrammarDefinition, products: inout [[GrammarExpr]: ByteNFA], countedRegions: Bool = true
    ) throws -> ByteNFA {
        var builder = try ByteNFABuilder(grammar: grammar)
        builder.products = products
        builder.countedRegions = countedRegions
        builder.requestFragment(grammar.root)
        while let rule = builder.pendingRules.popLast() {
            if !builder.built[rule] { try builder.buildFragment(rule) }
        }
        products = builder.products
        guard NFATrim.isLive(builder.nfa, builder.nfa.ruleStart[grammar.root]) else {
            throw GrammarError.invalidBounds("the grammar matches no string")
        }
        return builder.nfa
    }

    /// The root fragment and others up to `eagerBudget` states; the rest on demand.
    static func prepare(
        _ grammar: GrammarDefinition, eagerBudget: Int = eagerStateBudget, countedRegions: Bool = true
    ) throws -> ByteNFABuilder {
        var builder = try ByteNFABuilder(grammar: grammar)
        builder.countedRegions = countedRegions
        guard builder.analysis.productive[grammar.root] else {
            throw GrammarError.invalidBounds("the grammar matches no string")
        }
        builder.requestFragment(grammar.root)
        while let rule = builder.pendingRules.popLast() {
            if builder.built[rule] { continue }
            if rule != grammar.root && builder.nfa.stateCount >= eagerBudget { continue }
            try builder.buildFragment(rule)
        }
        guard NFATrim.isLive(builder.nfa, builder.nfa.ruleStart[grammar.root]) else {
            throw GrammarError.invalidBounds("the grammar matches no string")
        }
        return builder
    }

    private init(grammar: GrammarDefinition) throws {
        self.grammar = grammar
        analysis = try GrammarAnalysis(grammar)
        var edges: [[Int]] = []
        var counts = Array(repeating: 0, count: grammar.rules.count)
        for body in grammar.rules {
            var refs: [Int] = []
            Self.collectReferences(body, into: &refs)
            for ref in refs { counts[ref] += 1 }
            edges.append(refs)
        }
        recursive = Self.recursiveRules(edges)
        singleUse = counts.map { $0 == 1 }
        sizeMemo = Array(repeating: nil, count: grammar.rules.count)
        built = Array(repeating: false, count: grammar.rules.count)
        nfa.ruleStart = Array(repeating: -1, count: grammar.rules.count)
        nfa.ruleFinal = Array(repeating: -1, count: grammar.rules.count)
        nfa.ruleNames = grammar.names
        nfa.root = Int32(grammar.root)
    }

    func isBuilt(_ rule: Int) -> Bool { built[rule] }

    /// Builds `rule`'s fragment (its start state already exists) and trims it.
    mutating func buildFragment(_ rule: Int) throws {
        precondition(!built[rule], "fragment built twice")
        built[rule] = true
        if nfa.ruleStart[rule] < 0 { nfa.ruleStart[rule] = nfa.addState() }
        let first = nfa.stateCount
        let start = try newState()
        let end = try build(grammar.rules[rule], from: start)
        nfa.ruleFinal[rule] = end
        NFATrim.trim(&nfa, productive: analysis.productive, from: first)
        if NFATrim.isLive(nfa, start) { nfa.epsilonEdges[Int(nfa.ruleStart[rule])].append(start) }
    }

    private mutating func requestFragment(_ rule: Int) {
        guard nfa.ruleStart[rule] < 0 else { return }
        nfa.ruleStart[rule] = nfa.addState()
        pendingRules.append(rule)
    }

    private mutating func newState() throws -> Int32 {
        guard nfa.stateCount < Self.maxStates else {
            throw GrammarError.tooLarge("more than \(Self.maxStates) automaton states")
        }
        return nfa.addState()
    }

    /// Adds `expr` after `state`; returns the state where a match of `expr` ends.
    private mutating func build(_ expr: GrammarExpr, from state: Int32) throws -> Int32 {
        switch expr {
        case .bytes(let set):
            let end = try newState()
            if !set.isEmpty { nfa.byteEdges[Int(state)].append(.init(bytes: set, target: end)) }
            return end
        case .characters(let set):
            return try buildCharacters(set, from: state)
        case .intersection(let operands):
            let template: ByteNFA
            if let known = products[operands] {
                template = known
            } else {
                template = try ProductAutomaton.template(operands)
                products[operands] = template
            }
            return try copy(template, from: state)
        case .sequence(let parts):
            var current = state
            for part in parts { current = try build(part, from: current) }
            return current
        case .choice(let alternatives):
            // NOTE: every alternative starts at `state` itself: the builder only ever adds edges out of the state it
            // builds from, never into it, so alternatives cannot run into each other (and a state less each).
            let end = try newState()
            for alternative in alternatives {
                let altEnd = try build(alternative, from: state)
                nfa.epsilonEdges[Int(altEnd)].append(end)
            }
            return end
        case .repeat(let body, let min, let max):
            return try buildRepeat(body, min: min, max: max, from: state)
        case .rule(let rule):
            if shouldInline(rule) { return try build(grammar.rules[rule], from: state) }
            requestFragment(rule)
            let end = try newState()
            nfa.callEdges[Int(state)].append(.init(rule: Int32(rule), target: end))
            return end
        case .sharedTail(let index):
            precondition(!scopes.isEmpty, "sharedTail outside a sharedScope")
            if let fragment = scopes[scopes.count - 1].built[index] {
                nfa.epsilonEdges[Int(state)].append(fragment.start)
                return fragment.end
            }
            // Registered before its body is built, so tails may refer to each other (a loop through two tails).
            let start = try newState()
            let end = try newState()
            scopes[scopes.count - 1].built[index] = (start, end)
            nfa.epsilonEdges[Int(state)].append(start)
            let bodyEnd = try build(scopes[scopes.count - 1].tails[index], from: start)
            nfa.epsilonEdges[Int(bodyEnd)].append(end)
            return end
        case .excluding:
            throw GrammarError.unsupported("a complement outside an intersection")
        case .sharedScope(let tails, let body):
            scopes.append((tails, [:]))
            defer { scopes.removeLast() }
            return try build(body, from: state)
        }
    }

    /// Copies a call-free one-rule template after `state`; returns the copy of its final state.
    private mutating func copy(_ template: ByteNFA, from state: Int32) throws -> Int32 {
        guard nfa.stateCount + template.stateCount < Self.maxStates else {
            throw GrammarError.tooLarge("more than \(Self.maxStates) automaton states")
        }
        let base = Int32(nfa.stateCount)
        for _ in 0..<template.stateCount { _ = nfa.addState() }
        for local in 0..<template.stateCount {
            let mapped = Int(base) + local
            nfa.byteEdges[mapped] = template.byteEdges[local].map { .init(bytes: $0.bytes, target: $0.target + base) }
            nfa.epsilonEdges[mapped] = template.epsilonEdges[local].map { $0 + base }
        }
        nfa.epsilonEdges[Int(state)].append(template.ruleStart[0] + base)
        return template.ruleFinal[0] + base
    }

    /// UTF-8 sequences with shared suffix states (the continuation bytes), and one edge per target from `state`.
    private mutating func buildCharacters(_ set: CodepointSet, from state: Int32) throws -> Int32 {
        let shape = characterShapes[set] ?? CharacterShape(set)
        characterShapes[set] = shape
        guard nfa.stateCount + shape.stateCount < Self.maxStates else {
            throw GrammarError.tooLarge("more than \(Self.maxStates) automaton states")
        }
        let base = Int32(nfa.stateCount)
        for _ in 0..<shape.stateCount { _ = nfa.addState() }
        for edge in shape.edges {
            nfa.byteEdges[Int(base + edge.from)].append(.init(bytes: edge.bytes, target: base + edge.to))
        }
        for lead in shape.leads { nfa.byteEdges[Int(state)].append(.init(bytes: lead.bytes, target: base + lead.to)) }
        return base
    }

    /// A character set's automaton, computed once per set and builder: local state 0 is the end, the others are
    /// shared suffixes (continuation bytes); `leads` leave the start.
    struct CharacterShape {
        var stateCount = 1
        var edges: [(from: Int32, bytes: ByteSet, to: Int32)] = []
        var leads: [(bytes: ByteSet, to: Int32)] = []

        init(_ set: CodepointSet) {
            var suffixStates: [[ByteSet]: Int32] = [[]: 0]
            func stateFor(_ suffix: ArraySlice<ByteSet>) -> Int32 {
                if let known = suffixStates[Array(suffix)] { return known }
                let next = stateFor(suffix.dropFirst())
                let created = Int32(stateCount)
                stateCount += 1
                edges.append((created, suffix.first!, next))
                suffixStates[Array(suffix)] = created
                return created
            }
            var byTarget: [Int32: ByteSet] = [:]
            for sequence in set.utf8Sequences() {
                let target = stateFor(sequence.dropFirst())
                byTarget[target] = (byTarget[target] ?? ByteSet()).union(sequence[0])
            }
            leads = byTarget.sorted { $0.key < $1.key }.map { ($0.value, $0.key) }
        }
    }

    /// Repetitions with more copies than this (of a body without rule references) become counted regions.
    static let regionThreshold = 24

    /// Whether `body{copies}` becomes a counted region: a long repetition of a call-free body that has no counted
    /// region of its own (regions do not nest; such a body is expanded, and `size` must count it so).
    static func isRegion(copies: Int, _ body: GrammarExpr) -> Bool {
        copies > regionThreshold && isCallFree(body) && !containsRegion(body)
    }

    private static func containsRegion(_ expr: GrammarExpr) -> Bool {
        switch expr {
        case .bytes, .characters, .rule, .sharedTail, .intersection, .excluding: false
        case .sequence(let parts), .choice(let parts): parts.contains(where: containsRegion)
        case .repeat(let body, let min, let max): isRegion(copies: Swift.max(min, max ?? min + 1), body)
            || containsRegion(body)
        case .sharedScope(let tails, let body): tails.contains(where: containsRegion) || containsRegion(body)
        }
    }

    /// A short repetition of a call-free body as a standalone automaton, built once per builder and copied where it
    /// recurs (JSON whitespace's `[ \t]{0,20}` is around every token): the copy has the states building it afresh
    /// would have, for a fraction of the work. Its start has no incoming edge, so a copy starts at the caller's state.
    struct RepeatShape {
        var nfa: ByteNFA
        var start: Int32
        var end: Int32
    }

    /// The shape of `expr` (a `.repeat`), or nil where it cannot be one (counted regions inside, a loop to its start).
    private mutating func repeatShape(_ expr: GrammarExpr) throws -> RepeatShape? {
        if let known = repeatShapes[expr] { return known }
        var definition = GrammarDefinition()
        definition.root = definition.addRule(named: "repeat", expr)
        var shaper = try ByteNFABuilder(grammar: definition)
        shaper.countedRegions = countedRegions
        shaper.repeatShapes[expr] = .some(nil)  // the shaper builds this repetition itself
        shaper.products = products
        let start = shaper.nfa.addState()
        let end = try shaper.build(expr, from: start)
        products = shaper.products
        shaper.nfa.ruleFinal[0] = end
        NFATrim.trim(&shaper.nfa, productive: shaper.analysis.productive)
        let loopsToStart = shaper.nfa.byteEdges.contains { $0.contains { $0.target == start } }
            || shaper.nfa.epsilonEdges.contains { $0.contains(start) }
        let shape = shaper.nfa.regions.isEmpty && !loopsToStart
            ? RepeatShape(nfa: shaper.nfa, start: start, end: end) : nil
        repeatShapes[expr] = .some(shape)
        return shape
    }

    /// A copy of `shape` whose start is `state`; returns the copy of its end.
    private mutating func instantiate(_ shape: RepeatShape, from state: Int32) throws -> Int32 {
        let count = shape.nfa.stateCount
        guard nfa.stateCount + count < Self.maxStates else {
            throw GrammarError.tooLarge("more than \(Self.maxStates) automaton states")
        }
        var mapped = [Int32](repeating: 0, count: count)
        for local in 0..<count { mapped[local] = local == Int(shape.start) ? state : nfa.addState() }
        for local in 0..<count {
            let into = Int(mapped[local])
            for edge in shape.nfa.byteEdges[local] {
                nfa.byteEdges[into].append(.init(bytes: edge.bytes, target: mapped[Int(edge.target)]))
            }
            for target in shape.nfa.epsilonEdges[local] { nfa.epsilonEdges[into].append(mapped[Int(target)]) }
        }
        return mapped[Int(shape.end)]
    }

    /// The automaton of a repeated body, built once per body (`countedRegions: false` for expanded copies).
    private mutating func repeatTemplate(_ body: GrammarExpr, countedRegions: Bool) throws -> ByteNFA {
        if let known = (countedRegions ? regionTemplates : expansionTemplates)[body] { return known }
        var grammar = GrammarDefinition()
        grammar.root = grammar.addRule(named: "repeated", body)
        let template = try ByteNFABuilder.build(grammar, products: &products, countedRegions: countedRegions)
        if countedRegions { regionTemplates[body] = template } else { expansionTemplates[body] = template }
        return template
    }

    private mutating func buildRepeat(_ body: GrammarExpr, min: Int, max: Int?, from state: Int32) throws -> Int32 {
        let copies = Swift.max(min, max ?? min + 1)
        if copies > 1 && copies <= Self.regionThreshold && Self.isCallFree(body),
            let shape = try repeatShape(.repeat(body, min: min, max: max))
        {
            return try instantiate(shape, from: state)
        }
        // Expanded copies of a long repetition are copies of one template (not the body lowered again each time).
        var template: ByteNFA?
        if Self.isRegion(copies: copies, body) {
            let size = Self.size(body, grammar, &sizeMemo, recursive, singleUse)
            if max.map({ $0 > 0 }) ?? true && (countedRegions || copies * size > Self.expandedRepeatLimit) {
                let template = try repeatTemplate(body, countedRegions: true)
                if template.regions.isEmpty {
                    return try nfa.addRegion(template: template, min: min, max: max, entry: state)
                }
            } else if let built = try? repeatTemplate(body, countedRegions: false), built.regions.isEmpty {
                template = built
            }
        }
        if copies * Self.size(body, grammar, &sizeMemo, recursive, singleUse) > Self.maxStates {
            throw GrammarError.tooLarge("repetition of \(copies) copies")
        }
        func copyOfBody(from state: Int32) throws -> Int32 {
            if let template { return try copy(template, from: state) }
            return try build(body, from: state)
        }
        var current = state
        for _ in 0..<min { current = try copyOfBody(from: current) }
        guard let max else {
            let loop = try newState()
            nfa.epsilonEdges[Int(current)].append(loop)
            let end = try copyOfBody(from: loop)
            nfa.epsilonEdges[Int(end)].append(loop)
            return loop
        }
        guard max > min else { return current }
        let end = try newState()
        for _ in min..<max {
            nfa.epsilonEdges[Int(current)].append(end)
            current = try copyOfBody(from: current)
        }
        nfa.epsilonEdges[Int(current)].append(end)
        return end
    }

    private mutating func shouldInline(_ rule: Int) -> Bool {
        guard !recursive[rule] && rule != grammar.root else { return false }
        let size = Self.ruleSize(rule, grammar, &sizeMemo, recursive, singleUse)
        return size <= (singleUse[rule] ? Self.singleUseInlineLimit : Self.inlineLimit)
    }

    /// Byte edges of an expression with inlinable rules expanded (capped to avoid overflow).
    private static func size(
        _ expr: GrammarExpr, _ grammar: GrammarDefinition, _ memo: inout [Int?], _ recursive: [Bool],
        _ singleUse: [Bool]
    ) -> Int {
        let cap = 1 << 40
        switch expr {
        case .bytes: return 1
        case .characters(let set): return 4 * set.ranges.count + 4
        case .intersection(let parts):
            return Swift.min(cap, parts.reduce(1) { $0 * size($1, grammar, &memo, recursive, singleUse) })
        case .excluding(let body): return size(body, grammar, &memo, recursive, singleUse)
        case .sequence(let parts), .choice(let parts):
            return Swift.min(cap, parts.reduce(1) { $0 + size($1, grammar, &memo, recursive, singleUse) })
        case .repeat(let body, let min, let max):
            let copies = Swift.max(1, Swift.max(min, max ?? min + 1))
            let bodySize = size(body, grammar, &memo, recursive, singleUse)
            if isRegion(copies: copies, body) { return bodySize + 2 }
            return Swift.min(cap, bodySize * copies)
        case .rule(let rule):
            if recursive[rule] { return 1 }
            let ruleSize = ruleSize(rule, grammar, &memo, recursive, singleUse)
            return ruleSize <= (singleUse[rule] ? singleUseInlineLimit : inlineLimit) ? ruleSize : 1
        case .sharedTail: return 1
        case .sharedScope(let tails, let body):
            let tailsSize = tails.reduce(0) { $0 + size($1, grammar, &memo, recursive, singleUse) }
            return Swift.min(cap, tailsSize + size(body, grammar, &memo, recursive, singleUse))
        }
    }

    private static func ruleSize(
        _ rule: Int, _ grammar: GrammarDefinition, _ memo: inout [Int?], _ recursive: [Bool], _ singleUse: [Bool]
    ) -> Int {
        if let known = memo[rule] { return known }
        memo[rule] = 1 << 40  // guards against cycles (recursive rules are never expanded here)
        let value = size(grammar.rules[rule], grammar, &memo, recursive, singleUse)
        memo[rule] = value
        return value
    }

    /// Rules that can reach themselves through references (Tarjan's strongly connected components).
    private static func recursiveRules(_ edges: [[Int]]) -> [Bool] {
        let count = edges.count
        var result = Array(repeating: false, count: count)
        var index = Array(repeating: -1, count: count)
        var low = Array(repeating: 0, count: count)
        var onStack = Array(repeating: false, count: count)
        var stack: [Int] = []
        var counter = 0
        func visit(_ v: Int) {
            index[v] = counter
            low[v] = counter
            counter += 1
            stack.append(v)
            onStack[v] = true
            for w in edges[v] {
                if index[w] < 0 {
                    visit(w)
                    low[v] = min(low[v], low[w])
                } else if onStack[w] {
                    low[v] = min(low[v], index[w])
                }
            }
            if low[v] == index[v] {
                var component: [Int] = []
                while let w = stack.popLast() {
                    onStack[w] = false
                    component.append(w)
                    if w == v { break }
                }
                if component.count > 1 || edges[v].contains(v) {
                    for w in component { result[w] = true }
                }
            }
        }
        for v in 0..<count where index[v] < 0 { visit(v) }
        return result
    }

    /// No rule references, and no shared tails of an enclosing scope (so the body can be built as a template on its
    /// own). A scope inside, with its tails, is self-contained: the members of an object in a long array are.
    static func isCallFree(_ expr: GrammarExpr, insideScope: Bool = false) -> Bool {
        switch expr {
        case .bytes, .characters: true
        case .sequence(let parts), .choice(let parts), .intersection(let parts):
            parts.allSatisfy { isCallFree($0, insideScope: insideScope) }
        case .excluding(let body), .repeat(let body, _, _): isCallFree(body, insideScope: insideScope)
        case .sharedTail: insideScope
        case .sharedScope(let tails, let body):
            tails.allSatisfy { isCallFree($0, insideScope: true) } && isCallFree(body, insideScope: true)
        case .rule: false
        }
    }

    private static func collectReferences(_ expr: GrammarExpr, into refs: inout [Int]) {
        switch expr {
        case .bytes, .characters: break
        case .intersection(let parts): for part in parts { collectReferences(part, into: &refs) }
        case .excluding(let body): collectReferences(body, into: &refs)
        case .sequence(let parts), .choice(let parts): for part in parts { collectReferences(part, into: &refs) }
        case .repeat(let body, _, _): collectReferences(body, into: &refs)
        case .sharedTail: break
        case .sharedScope(let tails, let body):
            for part in tails { collectReferences(part, into: &refs) }
            collectReferences(body, into: &refs)
        case .rule(let rule): refs.append(rule)
        }
    }
}
