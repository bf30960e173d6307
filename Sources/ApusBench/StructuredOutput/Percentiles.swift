/// Nearest-rank percentiles (index `count * p / 100` of the sorted values), as the llguidance script computes them.
public struct Percentiles: Sendable {
    public static let levels = [25, 50, 75, 90, 95, 99]
    public var values: [Int]

    public init(_ values: [Int]) {
        self.values = values.sorted()
    }

    public func percentile(_ p: Int) -> Int {
        guard !values.isEmpty else { return 0 }
        return values[min(values.count - 1, values.count * p / 100)]
    }

    public var max: Int { values.last ?? 0 }

    /// `{"p25": …, …, "max": …}`
    public var json: String {
        guard !values.isEmpty else { return "{}" }
        let parts = Self.levels.map { "\"p\($0)\": \(percentile($0))" } + ["\"max\": \(max)"]
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
