/// Byte expressions for the decimal integers in a range, digit by digit (exact for any bounds that fit in Int64).
enum IntegerRange {
    /// Integers `n` with `low <= n <= high` (nil: unbounded), written without leading zeros; `-0` is not produced.
    static func expr(low: Int64?, high: Int64?) -> GrammarExpr {
        if let low, let high, low > high { return .nothing }
        var alternatives: [GrammarExpr] = []
        // Non-negative part.
        if high == nil || high! >= 0 {
            alternatives.append(nonNegative(low: max(low ?? 0, 0), high: high))
        }
        // Negative part: -m for m in [max(1, -high), -low].
        if low == nil || low! < 0 {
            let magnitudeLow = high.map { $0 < 0 ? UInt64(-($0 + 1)) + 1 : 1 } ?? 1
            let magnitudeHigh = low.map { UInt64(-($0 + 1)) + 1 }
            alternatives.append(.concat([.literal("-"), positive(low: magnitudeLow, high: magnitudeHigh)]))
        }
        return .oneOf(alternatives)
    }

    private static func nonNegative(low: Int64, high: Int64?) -> GrammarExpr {
        if low == 0 {
            guard high != 0 else { return .literal("0") }
            return .oneOf([.literal("0"), positive(low: 1, high: high.map(UInt64.init))])
        }
        return positive(low: UInt64(low), high: high.map(UInt64.init))
    }

    /// Positive integers in [low, high]; `low >= 1`.
    private static func positive(low: UInt64, high: UInt64?) -> GrammarExpr {
        if let high, low > high { return .nothing }
        let lowDigits = Array(String(low).utf8)
        var alternatives: [GrammarExpr] = []
        let highDigits = high.map { Array(String($0).utf8) }
        let maxLength = highDigits?.count ?? lowDigits.count
        for length in lowDigits.count...maxLength {
            let lo =
                length == lowDigits.count ? lowDigits : [UInt8(ascii: "1")] + Array(repeating: 0x30, count: length - 1)
            let hi =
                (highDigits != nil && length == highDigits!.count) ? highDigits! : Array(repeating: 0x39, count: length)
            alternatives.append(sameLength(lo, hi))
        }
        if high == nil {
            // Longer than `low`: any number with more digits.
            let digit = GrammarExpr.bytes(ByteSet(range: 0x30...0x39))
            alternatives.append(
                .concat([.bytes(ByteSet(range: 0x31...0x39)), .repeat(digit, min: lowDigits.count, max: nil)]))
        }
        return .oneOf(alternatives)
    }

    /// Digit strings of one length between `lo` and `hi` inclusive (`lo <= hi` as numbers).
    ///
    /// Only one side recurses at each digit (a full side joins the middle range), so the expression grows with the
    /// square of the length, not exponentially.
    private static func sameLength(_ lo: [UInt8], _ hi: [UInt8]) -> GrammarExpr {
        guard let first = lo.first, let last = hi.first else { return .empty }
        let digit = GrammarExpr.bytes(ByteSet(range: 0x30...0x39))
        if lo.count == 1 { return .bytes(ByteSet(range: first...last)) }
        let restLo = Array(lo.dropFirst())
        let restHi = Array(hi.dropFirst())
        if first == last { return .concat([.literal([first]), sameLength(restLo, restHi)]) }
        let lowFull = restLo.allSatisfy { $0 == 0x30 }
        let highFull = restHi.allSatisfy { $0 == 0x39 }
        var alternatives: [GrammarExpr] = []
        if !lowFull {
            let nines = Array(repeating: UInt8(0x39), count: restLo.count)
            alternatives.append(.concat([.literal([first]), sameLength(restLo, nines)]))
        }
        let middleLow = lowFull ? first : first + 1
        let middleHigh = highFull ? last : last - 1
        if middleLow <= middleHigh {
            alternatives.append(
                .concat([.bytes(ByteSet(range: middleLow...middleHigh)), .repeat(digit, min: restLo.count, max: restLo.count)]))
        }
        if !highFull {
            let zeros = Array(repeating: UInt8(0x30), count: restLo.count)
            alternatives.append(.concat([.literal([last]), sameLength(zeros, restHi)]))
        }
        return .oneOf(alternatives)
    }
}
