/// A hashable copy of a word's bytes that needs no heap allocation for words up to 24 bytes (almost all words).
///
/// Used as the key of the BPE word cache and of the `ignore_merges` whole-word lookup.
struct WordKey: Hashable, Sendable {
    private var a: UInt64 = 0
    private var b: UInt64 = 0
    private var c: UInt64 = 0
    private let length: Int
    private var overflow: [UInt8]? = nil

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        length = bytes.count
        if bytes.count > 24 {
            overflow = Array(bytes)
            return
        }
        a = Self.load(bytes, from: 0)
        b = Self.load(bytes, from: 8)
        c = Self.load(bytes, from: 16)
    }

    init(_ bytes: [UInt8]) {
        self = bytes.withUnsafeBufferPointer { WordKey($0) }
    }

    /// Up to 8 bytes from `start`, little-endian, zero-padded (the length field tells trailing zeros apart).
    @inline(__always)
    private static func load(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt64 {
        var value: UInt64 = 0
        var i = min(bytes.count, start + 8) - 1
        while i >= start {
            value = value << 8 | UInt64(bytes[i])
            i -= 1
        }
        return value
    }
}
