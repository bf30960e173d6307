extension JSONSchemaCompiler {
    /// Lower and upper bounds from `minimum`/`maximum` and both forms of `exclusiveMinimum`/`exclusiveMaximum`
    /// (draft 4 booleans, later numbers); `exclusive` says whether each bound itself is excluded.
    struct NumericBounds {
        var low: Double?
        var lowExclusive = false
        var high: Double?
        var highExclusive = false
    }

    func numericBounds(_ schema: JSONValue) throws -> NumericBounds {
        var bounds = NumericBounds()
        func number(_ key: String) throws -> Double? {
            guard let value = schema[key] else { return nil }
            if case .bool = value { return nil }
            guard let number = value.numberValue, number.isFinite else {
                throw GrammarError.invalidBounds("\(key) must be a number")
            }
            return number
        }
        bounds.low = try number("minimum")
        bounds.high = try number("maximum")
        if schema["exclusiveMinimum"] == .bool(true) { bounds.lowExclusive = true }
        if schema["exclusiveMaximum"] == .bool(true) { bounds.highExclusive = true }
        if let exclusive = try number("exclusiveMinimum"), bounds.low.map({ exclusive >= $0 }) ?? true {
            bounds.low = exclusive
            bounds.lowExclusive = true
        }
        if let exclusive = try number("exclusiveMaximum"), bounds.high.map({ exclusive <= $0 }) ?? true {
            bounds.high = exclusive
            bounds.highExclusive = true
        }
        return bounds
    }

    /// Integers in the bounds, written without fraction or exponent.
    mutating func integer(_ schema: JSONValue) throws -> GrammarExpr {
        if let multiple = schema["multipleOf"], multiple.numberValue != 1 {
            throw GrammarError.unsupported("multipleOf")
        }
        let bounds = try numericBounds(schema)
        let limit = 9.0e18
        var low: Int64?
        var high: Int64?
        if let value = bounds.low {
            guard abs(value) < limit else { throw GrammarError.unsupported("integer bound \(value)") }
            let ceiling = IntegralDouble.ceiling(value)
            low = bounds.lowExclusive && Double(ceiling) == value ? ceiling + 1 : ceiling
        }
        if let value = bounds.high {
            guard abs(value) < limit else { throw GrammarError.unsupported("integer bound \(value)") }
            let floor = IntegralDouble.floor(value)
            high = bounds.highExclusive && Double(floor) == value ? floor - 1 : floor
        }
        if let low, let high, low > high {
            throw GrammarError.invalidBounds("minimum \(low) > maximum \(high) for an integer")
        }
        // NOTE: `1.0` is an integer from draft 6 on but not in draft 4 (MaskBench labels it invalid); left out.
        return IntegerRange.expr(low: low, high: high)
    }

    /// Any JSON number; with bounds, only decimals without exponent whose value is in range.
    mutating func number(_ schema: JSONValue) throws -> GrammarExpr {
        if schema["multipleOf"] != nil { throw GrammarError.unsupported("multipleOf") }
        let bounds = try numericBounds(schema)
        if bounds.low == nil && bounds.high == nil { return JSONGrammar.anyNumber }
        if let low = bounds.low, let high = bounds.high,
            low > high || (low == high && (bounds.lowExclusive || bounds.highExclusive))
        {
            throw GrammarError.invalidBounds("minimum \(low) > maximum \(high)")
        }
        return try DecimalRange.expr(bounds)
    }
}
