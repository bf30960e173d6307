/// Splits "host:port" or "[v6]:port" into the host (brackets removed) and the port; nil when the port is missing or
/// outside 1…65535, or the host is empty. The one parser for peer addresses every service dials.
public func splitHostPort(_ address: String) -> (host: String, port: Int)? {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
        (1...65535).contains(port)
    else { return nil }
    var host = String(address[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return host.isEmpty ? nil : (host, port)
}
