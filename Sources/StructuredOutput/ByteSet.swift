/// A set of byte values, as four 64-bit words; the label on one automaton edge.
struct ByteSet: Hashable, Sendable {
    private(set) var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static let empty = ByteSet()
    static let all = ByteSet(range: 0...255)

    init() {}

    init(byte: UInt8) {
        insert(byte)
    }

    init(range: ClosedRange<UInt8>) {
        func bits(_ word: Int) -> UInt64 {
            let low = max(Int(range.lowerBound), word * 64)
            let high = min(Int(range.upperBound), word * 64 + 63)
            guard low <= high else { return 0 }
            let count = high - low + 1
            let run: UInt64 = count == 64 ? ~0 : (1 << UInt64(count)) - 1
            return run << UInt64(low - word * 64)
        }
        words = (bits(0), bits(1), bits(2), bits(3))
    }

    init<S: Sequence>(bytes: S) where S.Element == UInt8 {
        for byte in bytes { insert(byte) }
    }

    var isEmpty: Bool { words == (0, 0, 0, 0) }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    func union(_ other: ByteSet) -> ByteSet {
        var result = self
        result.words = (
            words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3
        )
        return result
    }

    func intersection(_ other: ByteSet) -> ByteSet {
        var result = self
        result.words = (
            words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2, words.3 & other.words.3
        )
        return result
    }

    func subtracting(_ other: ByteSet) -> ByteSet {
        var result = self
        result.words = (
            words.0 & ~other.words.0, words.1 & ~other.words.1, words.2 & ~other.words.2, words.3 & ~other.words.3
        )
        return result
    }

    func isSubset(of other: ByteSet) -> Bool {
        words.0 & ~other.words.0 == 0 && words.1 & ~other.words.1 == 0 && words.2 & ~other.words.2 == 0
            && words.3 & ~other.words.3 == 0
    }

    var count: Int {
        words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount
    }

    /// The smallest member (nil if empty).
    var first: UInt8? {
        if words.0 != 0 { return UInt8(words.0.trailingZeroBitCount) }
        if words.1 != 0 { return UInt8(64 + words.1.trailingZeroBitCount) }
        if words.2 != 0 { return UInt8(128 + words.2.trailingZeroBitCount) }
        if words.3 != 0 { return UInt8(192 + words.3.trailingZeroBitCount) }
        return nil
    }

    /// The members in increasing order.
    var bytes: [UInt8] {
        (0...255).compactMap { contains(UInt8($0)) ? UInt8($0) : nil }
    }

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
