extension BPEModel {
    private static let metaspace: Unicode.Scalar = "\u{2581}"

    /// True when `token` has a `▁` preceded by another character than `▁`.
    static func hasInnerMetaspace(_ token: String) -> Bool {
        var previous: Unicode.Scalar? = nil
        for scalar in token.unicodeScalars {
            if scalar == metaspace, let previous, previous != metaspace { return true }
            previous = scalar
        }
        return false
    }

    /// Calls `body` with the segments of `word` cut before every `▁` (UTF-8 E2 96 81) that follows another
    /// character than `▁`.
    static func forEachMetaspaceSegment(
        of word: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var start = 0
        var i = 1
        while i + 2 < word.count {
            if word[i] == 0xE2 && word[i + 1] == 0x96 && word[i + 2] == 0x81 {
                let afterMetaspace = i >= 3 && word[i - 3] == 0xE2 && word[i - 2] == 0x96 && word[i - 1] == 0x81
                if !afterMetaspace {
                    body(UnsafeBufferPointer(rebasing: word[start..<i]))
                    start = i
                }
                i += 3
            } else {
                i += 1
            }
        }
        body(UnsafeBufferPointer(rebasing: word[start...]))
    }
}
