/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges; regex classes are built from these.
struct CodepointSet: Hashable, Sendable {
    static let maxScalar: UInt32 = 0x10FFFF
    private(set) var ranges: [ClosedRange<UInt32>] = []

    static let all = CodepointSet(ranges: [0...maxScalar])
    static let digits = CodepointSet(ranges: [0x30...0x39])
    static let word = CodepointSet(ranges: [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    /// ECMAScript's `\s` restricted to what Python's `re` (str patterns) also treats as space, so both agree.
    static let space = CodepointSet(ranges: [
        0x09...0x0D, 0x20...0x20, 0x85...0x85, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A, 0x2028...0x2029,
        0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000,
    ])

    init() {}

    init(ranges: [ClosedRange<UInt32>]) {
        for range in ranges { insert(range) }
    }

    init(scalar: UInt32) { self.init(ranges: [scalar...scalar]) }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ scalar: UInt32) -> Bool { ranges.contains { $0.contains(scalar) } }

    mutating func insert(_ range: ClosedRange<UInt32>) {
        var merged = range
        var kept: [ClosedRange<UInt32>] = []
        for existing in ranges {
            if existing.upperBound + 1 < merged.lowerBound || merged.upperBound + 1 < existing.lowerBound {
                kept.append(existing)
            } else {
                merged = min(existing.lowerBound, merged.lowerBound)...max(existing.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        ranges = kept.sorted { $0.lowerBound < $1.lowerBound }
    }

    func union(_ other: CodepointSet) -> CodepointSet {
        var result = self
        for range in other.ranges { result.insert(range) }
        return result
    }

    func inverted() -> CodepointSet {
        var result: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in ranges {
            if range.lowerBound > next { result.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= Self.maxScalar { result.append(next...Self.maxScalar) }
        return CodepointSet(ranges: result)
    }

    func subtracting(_ other: CodepointSet) -> CodepointSet {
        intersection(other.inverted())
    }

    func intersection(_ other: CodepointSet) -> CodepointSet {
        var result: [ClosedRange<UInt32>] = []
        for a in ranges {
            for b in other.ranges where a.overlaps(b) {
                result.append(max(a.lowerBound, b.lowerBound)...min(a.upperBound, b.upperBound))
            }
        }
        return CodepointSet(ranges: result)
    }

    /// Adds the other case of every ASCII letter in the set (the only case folding this engine does).
    func addingASCIICase() -> CodepointSet {
        var result = self
        for range in ranges {
            for scalar in range.clamped(to: 0x41...0x7A) {
                if (0x41...0x5A).contains(scalar) { result.insert((scalar + 32)...(scalar + 32)) }
                if (0x61...0x7A).contains(scalar) { result.insert((scalar - 32)...(scalar - 32)) }
            }
        }
        return result
    }

    /// The UTF-8 encodings of the members; surrogates (not scalars) are left out.
    func utf8Expr() -> GrammarExpr {
        if let last = ranges.last, last.upperBound < 0x80 {
            var set = ByteSet()
            for range in ranges { set = set.union(ByteSet(range: UInt8(range.lowerBound)...UInt8(range.upperBound))) }
            return .bytes(set)
        }
        return ranges.isEmpty ? .nothing : .characters(self)
    }

    /// The UTF-8 encodings as a choice of byte sequences (for tests; the NFA builder shares suffixes instead).
    func utf8Sequences() -> [[ByteSet]] {
        subtracting(CodepointSet(ranges: [0xD800...0xDFFF])).ranges.flatMap(UTF8Ranges.split)
    }

    func utf8ChoiceExpr() -> GrammarExpr {
        var alternatives: [GrammarExpr] = []
        var singleBytes = ByteSet()
        let encodable = subtracting(CodepointSet(ranges: [0xD800...0xDFFF]))
        for range in encodable.ranges {
            for sequence in UTF8Ranges.split(range) {
                if sequence.count == 1 {
                    singleBytes = singleBytes.union(sequence[0])
                } else {
                    alternatives.append(.sequence(sequence.map { .bytes($0) }))
                }
            }
        }
        if !singleBytes.isEmpty { alternatives.insert(.bytes(singleBytes), at: 0) }
        return alternatives.count == 1 ? alternatives[0] : .choice(alternatives)
    }
}

/// Splits a scalar range into sequences of byte ranges whose concatenations are exactly its UTF-8 encodings.
enum UTF8Ranges {
    private static let boundaries: [(ClosedRange<UInt32>, Int)] = [
        (0...0x7F, 1), (0x80...0x7FF, 2), (0x800...0xFFFF, 3), (0x10000...0x10FFFF, 4),
    ]

    static func split(_ range: ClosedRange<UInt32>) -> [[ByteSet]] {
        var result: [[ByteSet]] = []
        for (span, length) in boundaries where span.overlaps(range) {
            let clamped = range.clamped(to: span)
            splitSameLength(clamped.lowerBound, clamped.upperBound, length: length, into: &result)
        }
        return result
    }

    private static func encode(_ scalar: UInt32, length: Int) -> [UInt8] {
        switch length {
        case 1: return [UInt8(scalar)]
        case 2: return [UInt8(0xC0 | (scalar >> 6)), UInt8(0x80 | (scalar & 0x3F))]
        case 3:
            return [UInt8(0xE0 | (scalar >> 12)), UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F))]
        default:
            return [
                UInt8(0xF0 | (scalar >> 18)), UInt8(0x80 | ((scalar >> 12) & 0x3F)),
                UInt8(0x80 | ((scalar >> 6) & 0x3F)), UInt8(0x80 | (scalar & 0x3F)),
            ]
        }
    }

    /// Recursively splits [low, high] (same encoded length) until each piece is a product of byte ranges.
    private static func splitSameLength(_ low: UInt32, _ high: UInt32, length: Int, into result: inout [[ByteSet]]) {
        for level in 1..<length {
            let mask: UInt32 = (1 << (6 * UInt32(level))) - 1
            if low & ~mask != high & ~mask {
                if low & mask != 0 {
                    splitSameLength(low, low | mask, length: length, into: &result)
                    splitSameLength((low | mask) + 1, high, length: length, into: &result)
                    return
                }
                if high & mask != mask {
                    splitSameLength(low, (high & ~mask) - 1, length: length, into: &result)
                    splitSameLength(high & ~mask, high, length: length, into: &result)
                    return
                }
            }
        }
        let a = encode(low, length: length)
        let b = encode(high, length: length)
        result.append(zip(a, b).map { ByteSet(range: $0...$1) })
    }
}
