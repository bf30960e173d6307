import Foundation

/// What one HTTP client may hold of the api, so slow or oversized clients cannot starve the others
/// (docs/architecture.md §6.4).
///
/// Checked up front by `validate()`; the api and `apus serve` take them from `--max-request-body-size`,
/// `--request-read-timeout` and `--max-connections`.
public struct HTTPLimits: Sendable, Equatable {
    /// Largest request body accepted. A larger one gets 413 and its connection is closed: a declared
    /// `Content-Length` over the limit is refused before any of the body is read, a chunked body once the limit
    /// is passed.
    public var maxBodyBytes: Int
    /// Time a client has to send one whole request (head and body) once its connection waits for one — also how
    /// long an idle keep-alive connection stays open. Slow-header (slowloris) and slow-body clients are cut off
    /// after it; a request being answered is never timed out by it.
    public var requestReadTimeout: Duration
    /// Connections open at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int

    public init(
        maxBodyBytes: Int = 16 << 20, requestReadTimeout: Duration = .seconds(60),
        maxConnections: Int = HTTPLimits.defaultMaxConnections
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.requestReadTimeout = requestReadTimeout
        self.maxConnections = maxConnections
    }

    /// Half the process's open-file limit (the rest stays for upstream connections and files), at most 10,000.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else {
            return 10_000
        }
        return max(16, min(10_000, Int(limit.rlim_cur / 2)))
    }

    /// Throws a message naming the bad limit and what is allowed.
    public func validate() throws {
        guard maxBodyBytes >= 1024 else {
            throw HTTPLimitsError("the maximum request body size must be at least 1024 bytes, got \(maxBodyBytes)")
        }
        guard requestReadTimeout > .zero else {
            throw HTTPLimitsError("the request read timeout must be positive, got \(requestReadTimeout)")
        }
        guard maxConnections >= 1 else {
            throw HTTPLimitsError("the connection limit must be at least 1, got \(maxConnections)")
        }
    }
}

/// A limit outside its allowed range.
public struct HTTPLimitsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
