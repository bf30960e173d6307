import Foundation
import Wire

/// A `host:port` engine address as given on the command line or to `AddBackend` (IPv6 as `[::1]:port`).
public struct EngineAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; nil when the port is missing or out of range or the host is empty.
    public init?(_ text: String) {
        guard let (host, port) = splitHostPort(text), !host.contains(" ") else { return nil }
        self.init(host: host, port: port)
    }

    /// Whether the host is an IPv4 or IPv6 literal (no DNS needed).
    public var isIPLiteral: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The engine id of this address (the router keys engines by address).
    public var engineID: EngineID { EngineID(description) }
}
