/// Decoding helpers over valid UTF-8 bytes (Swift strings are always valid UTF-8).
enum UTF8Scalars {
    /// The scalar starting at `i` and its length in bytes. `bytes` must be valid UTF-8 and `i` a scalar start.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        }
        let value = (b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12 | UInt32(bytes[i + 2] & 0x3F) << 6
            | UInt32(bytes[i + 3] & 0x3F)
        return (value, 4)
    }

    /// The start of the scalar that ends just before `end` (`end` > 0 and a scalar boundary).
    @inline(__always)
    static func start(before end: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var i = end - 1
        while i > 0 && bytes[i] & 0xC0 == 0x80 { i -= 1 }
        return i
    }
}
