/// Byte expressions for decimal numbers (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`, no exponent) within numeric bounds.
///
/// Built digit by digit on the integer part (via `IntegerRange`) and on the fraction, so the bounds are exact for
/// every bound that Swift prints back as its schema literal.
enum DecimalRange {
    /// A non-negative decimal as digit strings; the fraction has no trailing zeros.
    struct Decimal {
        var integer: Int64
        var fraction: [UInt8]

        init(_ value: Double) throws {
            precondition(value >= 0)
            var text = "\(value)"
            if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
                let exponent = Int(text[text.index(after: e)...])!
                var digits = String(text[..<e]).filter { $0 != "." }
                let point =
                    (text[..<e].firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) }
                        ?? text.distance(from: text.startIndex, to: e)) + exponent
                if point <= 0 {
                    text = "0." + String(repeating: "0", count: -point) + digits
                } else {
                    if digits.count < point { digits += String(repeating: "0", count: point - digits.count) }
                    text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
                }
            }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard let integer = Int64(parts[0]) else { throw GrammarError.unsupported("number bound \(value)") }
            self.integer = integer
            var fraction = parts.count > 1 ? Array(parts[1].utf8) : []
            while fraction.last == UInt8(ascii: "0") { fraction.removeLast() }
            self.fraction = fraction
        }
    }

    /// Fraction digit strings F (after the point) as "no fraction" plus the non-empty ones.
    private struct Fraction {
        var allowsNone: Bool
        var digits: GrammarExpr

        /// `(\.F)?` or `\.F`.
        var expr: GrammarExpr {
            let dotted = GrammarExpr.concat([.literal("."), digits])
            return allowsNone ? .optional(dotted) : dotted
        }

        /// `d` followed by this (possibly empty) fraction.
        func prefixed(_ digit: UInt8) -> GrammarExpr {
            .concat([.literal([digit]), allowsNone ? .optional(digits) : digits])
        }
    }

    private static let digit = GrammarExpr.bytes(ByteSet(range: 0x30...0x39))
    private static let anyDigits = GrammarExpr.star(digit)

    static func expr(_ bounds: JSONSchemaCompiler.NumericBounds) throws -> GrammarExpr {
        var alternatives: [GrammarExpr] = []
        let low = bounds.low
        let high = bounds.high
        // x >= 0.
        if high.map({ $0 > 0 || ($0 == 0 && !bounds.highExclusive) }) ?? true {
            let lowPart = (low ?? 0) >= 0 ? (low ?? 0) : 0
            let lowInclusive = (low ?? 0) >= 0 ? !(bounds.lowExclusive && low != nil) : true
            alternatives.append(
                try nonNegative(
                    low: Decimal(lowPart), lowInclusive: lowInclusive,
                    high: try high.map(Decimal.init), highInclusive: !bounds.highExclusive))
        }
        // x < 0, written as -y with y > 0.
        if low.map({ $0 < 0 }) ?? true {
            let yLow = high.map { $0 < 0 ? -$0 : 0 } ?? 0
            let yLowInclusive = yLow > 0 ? !bounds.highExclusive : false
            let yHigh = try low.map { try Decimal(-$0) }
            alternatives.append(
                .concat([
                    .literal("-"),
                    try nonNegative(
                        low: Decimal(yLow), lowInclusive: yLowInclusive, high: yHigh,
                        highInclusive: !bounds.lowExclusive),
                ]))
        }
        return .oneOf(alternatives)
    }

    private static func nonNegative(low: Decimal, lowInclusive: Bool, high: Decimal?, highInclusive: Bool)
        -> GrammarExpr
    {
        let atLow = GrammarExpr.concat([
            IntegerRange.expr(low: low.integer, high: low.integer),
            atLeast(low.fraction, lowInclusive).expr,
        ])
        guard let high else {
            return .oneOf([
                atLow,
                .concat([
                    IntegerRange.expr(low: low.integer + 1, high: nil),
                    .optional(.concat([.literal("."), digit, anyDigits])),
                ]),
            ])
        }
        if low.integer == high.integer {
            return .concat([
                IntegerRange.expr(low: low.integer, high: low.integer),
                between(low.fraction, lowInclusive, high.fraction, highInclusive).expr,
            ])
        }
        if low.integer > high.integer { return .nothing }
        var alternatives = [atLow]
        if high.integer - low.integer >= 2 {
            alternatives.append(
                .concat([
                    IntegerRange.expr(low: low.integer + 1, high: high.integer - 1),
                    .optional(.concat([.literal("."), digit, anyDigits])),
                ]))
        }
        alternatives.append(
            .concat([
                IntegerRange.expr(low: high.integer, high: high.integer),
                atMost(high.fraction, highInclusive).expr,
            ]))
        return .oneOf(alternatives)
    }

    /// 0.F >= 0.D (or >).
    private static func atLeast(_ d: ArraySlice<UInt8>, _ inclusive: Bool) -> Fraction {
        guard let first = d.first else {
            return inclusive
                ? Fraction(allowsNone: true, digits: .concat([digit, anyDigits]))
                : Fraction(
                    allowsNone: false,
                    digits: .concat([.star(.literal("0")), .bytes(ByteSet(range: 0x31...0x39)), anyDigits]))
        }
        var alternatives: [GrammarExpr] = []
        if first < 0x39 { alternatives.append(.concat([.bytes(ByteSet(range: (first + 1)...0x39)), anyDigits])) }
        alternatives.append(atLeast(d.dropFirst(), inclusive).prefixed(first))
        return Fraction(allowsNone: false, digits: .oneOf(alternatives))
    }

    private static func atLeast(_ d: [UInt8], _ inclusive: Bool) -> Fraction { atLeast(d[...], inclusive) }

    /// 0.F <= 0.D (or <).
    private static func atMost(_ d: ArraySlice<UInt8>, _ inclusive: Bool) -> Fraction {
        guard let first = d.first else {
            return inclusive
                ? Fraction(allowsNone: true, digits: .repeat(.literal("0"), min: 1, max: nil))
                : Fraction(allowsNone: false, digits: .nothing)
        }
        var alternatives: [GrammarExpr] = []
        if first > 0x30 { alternatives.append(.concat([.bytes(ByteSet(range: 0x30...(first - 1))), anyDigits])) }
        alternatives.append(atMost(d.dropFirst(), inclusive).prefixed(first))
        return Fraction(allowsNone: true, digits: .oneOf(alternatives))
    }

    private static func atMost(_ d: [UInt8], _ inclusive: Bool) -> Fraction { atMost(d[...], inclusive) }

    /// 0.Dl <= 0.F <= 0.Dh (each end inclusive or not), for 0.Dl <= 0.Dh.
    private static func between(_ dl: [UInt8], _ li: Bool, _ dh: [UInt8], _ hi: Bool) -> Fraction {
        between(dl[...], li, dh[...], hi)
    }

    private static func between(_ dl: ArraySlice<UInt8>, _ li: Bool, _ dh: ArraySlice<UInt8>, _ hi: Bool) -> Fraction {
        if dl.isEmpty && dh.isEmpty {
            return li && hi ? atMost(dh, true) : Fraction(allowsNone: false, digits: .nothing)
        }
        if dl.isEmpty && li { return atMost(dh, hi) }
        let a = dl.first ?? 0x30
        let b = dh.first ?? 0x30
        var alternatives: [GrammarExpr] = []
        if a == b {
            alternatives.append(between(dl.dropFirst(), li, dh.dropFirst(), hi).prefixed(a))
        } else {
            alternatives.append(atLeast(dl.dropFirst(), li).prefixed(a))
            if b - a >= 2 { alternatives.append(.concat([.bytes(ByteSet(range: (a + 1)...(b - 1))), anyDigits])) }
            alternatives.append(atMost(dh.dropFirst(), hi).prefixed(b))
        }
        return Fraction(allowsNone: false, digits: .oneOf(alternatives))
    }
}
