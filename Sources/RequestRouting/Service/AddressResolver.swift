import Dispatch
import Foundation

/// Resolves a DNS name to addresses; the seam that lets tests script re-resolution.
public protocol AddressResolver: Sendable {
    /// The name's IP addresses (textual); throws when it does not resolve.
    func resolve(host: String) async throws -> [String]
}

/// `getaddrinfo` on a Dispatch worker thread (never on an event loop or the cooperative pool).
///
/// IPv4 answers win when there are any: a name like `localhost` that also has `::1` must not become two
/// backends for one engine.
public struct SystemResolver: AddressResolver {
    public init() {}

    public struct ResolveError: Error, CustomStringConvertible {
        public var description: String
    }

    public func resolve(host: String) async throws -> [String] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.lookUp(host) })
            }
        }
    }

    static func lookUp(_ host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw ResolveError(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var v4: [String] = []
        var v6: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                NI_NUMERICHOST) == 0
            {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if info.pointee.ai_family == AF_INET { v4.append(text) } else { v6.append(text) }
            }
            node = info.pointee.ai_next
        }
        var seen = Set<String>()
        return (v4.isEmpty ? v6 : v4).filter { seen.insert($0).inserted }
    }
}
