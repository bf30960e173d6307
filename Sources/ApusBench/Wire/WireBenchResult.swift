import Wire
/// One row of `apus bench wire`: one implementation on one workload.
///
/// Unary workloads fill the latency percentiles and calls per second; the stream fills messages and megabytes per
/// second (payload bytes: the encoded protobuf messages, without framing). Fields that do not apply are nil.
public struct WireBenchResult: Sendable, Equatable, Codable {
    public var impl: String
    public var workload: WireBenchWorkload
    public var p50US: Double?
    public var p99US: Double?
    public var msgsPerS: Double?
    public var mbPerS: Double?
    /// Encoded protobuf sizes, so the two implementations can be seen to move the same bytes.
    public var requestBytes: Int
    public var responseBytes: Int
    /// Timed calls (unary) or messages (stream).
    public var count: Int

    public init(impl: String, workload: WireBenchWorkload, p50US: Double? = nil, p99US: Double? = nil,
                msgsPerS: Double? = nil, mbPerS: Double? = nil, requestBytes: Int, responseBytes: Int, count: Int) {
        self.impl = impl
        self.workload = workload
        self.p50US = p50US
        self.p99US = p99US
        self.msgsPerS = msgsPerS
        self.mbPerS = mbPerS
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
        self.count = count
    }

    enum CodingKeys: String, CodingKey {
        case impl, workload, count
        case p50US = "p50_us"
        case p99US = "p99_us"
        case msgsPerS = "msgs_per_s"
        case mbPerS = "mb_per_s"
        case requestBytes = "request_bytes"
        case responseBytes = "response_bytes"
    }

    /// `{"impl", "workload", "p50_us", "p99_us", "msgs_per_s", "mb_per_s", "request_bytes", "response_bytes",
    /// "count"}` with null for fields that do not apply (written by hand: Wire does not import Foundation).
    public var jsonLine: String {
        func num(_ x: Double?) -> String {
            guard let x, x.isFinite else { return "null" }
            return String((x * 1000).rounded() / 1000)
        }
        return "{\"impl\": \"\(impl)\", \"workload\": \"\(workload.rawValue)\", \"p50_us\": \(num(p50US)), "
            + "\"p99_us\": \(num(p99US)), \"msgs_per_s\": \(num(msgsPerS)), \"mb_per_s\": \(num(mbPerS)), "
            + "\"request_bytes\": \(requestBytes), \"response_bytes\": \(responseBytes), \"count\": \(count)}"
    }
}

/// Latency summary of sorted samples: nearest rank at round(p × (n − 1)), the rule both benchmark sides use.
public enum BenchPercentile {
    public static func of(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
    }

    /// Microseconds in a duration.
    public static func micros(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }
}
