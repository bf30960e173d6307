/// A fuzz input read front to back as choices: a byte, a number in a range, a chunk, the rest.
///
/// Reading past the end yields zeros and empty chunks, so every input is usable: a target never rejects an
/// input for being short, and libFuzzer's mutations of the choice bytes map to nearby choices.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ raw: UnsafeRawBufferPointer) {
        bytes = Array(raw)
    }

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A number in `range` from the next byte (ranges of up to 256 values).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(byte()) % range.count
    }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// Up to `count` next bytes.
    public mutating func bytes(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = max(offset, end) }
        return bytes[min(offset, end)..<end]
    }

    /// Everything not read yet.
    public mutating func rest() -> ArraySlice<UInt8> { bytes(bytes.count - offset) }

    /// The rest as text, invalid UTF-8 repaired (U+FFFD), as a server reading a body would see it.
    public mutating func restAsString() -> String { String(decoding: rest(), as: UTF8.self) }
}

/// Stops the run with `message`: an input broke an invariant the target checks (libFuzzer records the input).
public func fuzzFailure(_ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) -> Never {
    fatalError(message(), file: file, line: line)
}
