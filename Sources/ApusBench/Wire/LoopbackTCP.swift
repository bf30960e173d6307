import Foundation

/// The ceiling a transfer over loopback TCP can reach on this machine: one connection between two threads, the
/// sender writing `chunk`-byte buffers, the receiver reading into one (no framing, no parsing, no copy beyond the
/// kernel's own two).
enum LoopbackTCP {
    /// Bytes per second / 1e9 moving `bytes` once; nil when a socket call fails.
    static func bandwidth(bytes: Int, chunk: Int = 4 << 20) -> Double? {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { return nil }
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(listener, sa, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, sa, &length) == 0
            }
        }
        guard bound else { return nil }
        let sender = Thread {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
            defer { buffer.deallocate() }
            buffer.initializeMemory(as: UInt8.self, repeating: 7)
            var sent = 0
            while sent < bytes {
                let n = send(connection, buffer.baseAddress!, min(chunk, bytes - sent), 0)
                if n <= 0 { return }
                sent += n
            }
        }
        sender.start()
        let receiver = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard receiver >= 0 else { return nil }
        defer { close(receiver) }
        let connected = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(receiver, $0, length) == 0 }
        }
        guard connected else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        let start = ContinuousClock.now
        var received = 0
        while received < bytes {
            let n = recv(receiver, buffer.baseAddress!, chunk, 0)
            if n <= 0 { return nil }
            received += n
        }
        let d = start.duration(to: .now).components
        return Double(bytes) / (Double(d.seconds) + Double(d.attoseconds) / 1e18) / 1e9
    }
}
