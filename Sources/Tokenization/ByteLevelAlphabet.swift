/// GPT-2's reversible byte ↔ printable-character map used by byte-level BPE.
///
/// Printable Latin-1 bytes (33–126, 161–172, 174–255) map to themselves; the other 68 bytes map, in order, to
/// U+0100 and up (so a space becomes "Ġ", a newline "Ċ").
enum ByteLevelAlphabet {
    /// `scalar[b]` is the character that stands for byte `b`.
    static let scalars: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// `bytes[scalar]` is the byte a character stands for, or -1 when the character is not in the alphabet.
    static let bytes: [Int16] = {
        var map = [Int16](repeating: -1, count: 0x180)
        for (byte, scalar) in scalars.enumerated() { map[Int(scalar.value)] = Int16(byte) }
        return map
    }()

    /// The raw bytes a byte-level token stands for, or nil when some character is outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard scalar.value < 0x180, bytes[Int(scalar.value)] >= 0 else { return nil }
            out.append(UInt8(bytes[Int(scalar.value)]))
        }
        return out
    }
}
