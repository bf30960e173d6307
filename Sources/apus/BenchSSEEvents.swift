/// Splits a server-sent-event body into events, each stamped with the arrival of the read that completed it.
enum BenchSSEEvents {
    struct Event {
        var at: ContinuousClock.Instant
        /// The event's `data:` lines joined by "\n".
        var data: String
    }

    static func split(_ parts: [BenchHTTPClient.Response.Part]) -> [Event] {
        var events: [Event] = []
        var pending: [UInt8] = []
        for part in parts {
            pending.append(contentsOf: part.bytes.readableBytesView)
            var start = 0
            var i = 0
            while i < pending.count {
                // An event ends at a blank line: "\n\n" (or "\r\n\r\n", whose last 3 bytes are "\n\r\n").
                if pending[i] == UInt8(ascii: "\n"), i + 1 < pending.count,
                   pending[i + 1] == UInt8(ascii: "\n")
                    || (pending[i + 1] == UInt8(ascii: "\r") && i + 2 < pending.count
                        && pending[i + 2] == UInt8(ascii: "\n"))
                {
                    let end = pending[i + 1] == UInt8(ascii: "\n") ? i + 2 : i + 3
                    if let data = Self.data(pending[start..<i]) { events.append(Event(at: part.at, data: data)) }
                    start = end
                    i = end
                    continue
                }
                i += 1
            }
            pending.removeFirst(start)
        }
        if let data = Self.data(pending[...]) { events.append(Event(at: parts.last?.at ?? .now, data: data)) }
        return events
    }

    /// The `data:` payload of one event's lines, nil when it has none (comments, keep-alives).
    static func data(_ bytes: ArraySlice<UInt8>) -> String? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let data = lines.compactMap { line -> Substring? in
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            guard line.hasPrefix("data:") else { return nil }
            let value = line.dropFirst(5)
            return value.hasPrefix(" ") ? value.dropFirst() : value
        }
        return data.isEmpty ? nil : data.joined(separator: "\n")
    }
}
