/// The Unicode classes the split patterns test: `\p{L}`, `\p{N}`, `\s` (White_Space) and `\w`.
///
/// ASCII goes through a table; other scalars through `Unicode.Scalar.Properties` (general category), which is
/// what Oniguruma (used by Hugging Face tokenizers) tests too.
enum CharacterClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 4
    static let word: UInt8 = 8

    /// Classes of the Basic Multilingual Plane, computed once (64 KiB).
    private static let bmp: [UInt8] = (0..<0x10000).map { classify(UInt32($0)) }

    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        value < 0x10000 ? bmp[Int(value)] : classify(value)
    }

    static func classify(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        let properties = scalar.properties
        var result: UInt8 = properties.isWhitespace ? space : 0
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result |= letter | word
        case .decimalNumber:
            result |= number | word
        case .letterNumber, .otherNumber:
            result |= number
        case .nonspacingMark, .spacingMark, .enclosingMark, .connectorPunctuation:
            result |= word
        default:
            break
        }
        if properties.isAlphabetic || value == 0x200C || value == 0x200D { result |= word }
        return result
    }
}
