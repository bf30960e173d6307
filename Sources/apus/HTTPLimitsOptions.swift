import APIServer
import ArgumentParser

/// The api's HTTP limits as flags, declared once for `apus api` and `apus serve` (which passes them on).
struct HTTPLimitsOptions: ParsableArguments {
    @Option(
        name: .customLong("max-request-body-size"),
        help: "Largest request body in bytes; a larger one gets 413 without being read.")
    var maxRequestBodySize: Int = HTTPLimits().maxBodyBytes

    @Option(
        name: .customLong("request-read-timeout"),
        help: "Seconds a client has to send a whole request; slow or idle connections are closed after it.")
    var requestReadTimeout: Double = 60

    @Option(
        name: .customLong("max-connections"),
        help: "Open HTTP connections at once (default: half the open-file limit, at most 10000).")
    var maxConnections: Int = HTTPLimits.defaultMaxConnections

    var limits: HTTPLimits {
        HTTPLimits(
            maxBodyBytes: maxRequestBodySize, requestReadTimeout: .milliseconds(Int64(requestReadTimeout * 1000)),
            maxConnections: maxConnections)
    }

    func validate() throws {
        guard requestReadTimeout.isFinite, requestReadTimeout > 0, requestReadTimeout <= 86_400 else {
            throw ValidationError("--request-read-timeout must be in (0, 86400] seconds, got \(requestReadTimeout)")
        }
        do { try limits.validate() } catch { throw ValidationError("\(error)") }
    }

    /// The flags again, for a child `apus api`.
    var arguments: [String] {
        ["--max-request-body-size", "\(maxRequestBodySize)", "--request-read-timeout", "\(requestReadTimeout)",
         "--max-connections", "\(maxConnections)"]
    }
}
