/// How many producer and consumer engine-cores a disaggregated cluster runs, written `XPYD` (`1P1D`, `2P1D`) as
/// `apus serve --pd` takes it (the notation of vLLM's and SGLang's PD benchmarks).
public struct PDTopology: Sendable, Equatable, CustomStringConvertible {
    /// Producers: the prefill pool.
    public var prefill: Int
    /// Consumers: the decode pool.
    public var decode: Int

    public init(prefill: Int, decode: Int) {
        self.prefill = prefill
        self.decode = decode
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `XPYD` exactly: X and Y decimal, 1 or more, without sign, spaces or leading zeros; `P` and `D`
    /// upper case.
    public init(parsing text: String) throws(ParseError) {
        let fail = ParseError(description: "expected XPYD with X, Y >= 1 (e.g. 1P1D, 2P1D), got \"\(text)\"")
        guard text.last == "D", let p = text.firstIndex(of: "P") else { throw fail }
        let decodeDigits = text[text.index(after: p)..<text.index(before: text.endIndex)]
        guard let prefill = Self.count(text[..<p]), let decode = Self.count(decodeDigits) else { throw fail }
        self.init(prefill: prefill, decode: decode)
    }

    private static func count(_ digits: Substring) -> Int? {
        guard let first = digits.first, first != "0", digits.count <= 4, digits.allSatisfy({ ("0"..."9").contains($0) })
        else { return nil }
        return Int(digits)
    }

    public var description: String { "\(prefill)P\(decode)D" }
}
