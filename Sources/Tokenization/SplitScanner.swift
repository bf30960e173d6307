/// Hand-written scanners equivalent to the GPT-2, Llama 3 and Qwen2 pre-tokenization regexes.
///
/// Each pattern's alternatives cover every character, so its matches tile the text; `matchEnd(at:)` returns where
/// the match starting at `i` ends, following the regex's leftmost-first alternation and backtracking exactly:
///
///     GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///     Llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
///             |\s*[\r\n]+|\s+(?!\S)|\s+                 (Qwen2: \p{N} instead of \p{N}{1,3})
struct SplitScanner {
    enum Kind: Sendable { case gpt2, llama3, qwen2 }

    let kind: Kind
    let bytes: UnsafeBufferPointer<UInt8>

    private static let other: UInt8 = 0  // marker: neither letter, number nor space

    /// Every match, as byte ranges tiling `bytes`.
    func matches() -> [Range<Int>] {
        var result: [Range<Int>] = []
        result.reserveCapacity(bytes.count / 4 + 1)
        var i = 0
        while i < bytes.count {
            let end = matchEnd(at: i)
            result.append(i..<end)
            i = end
        }
        return result
    }

    @inline(__always)
    private func scalar(at i: Int) -> (value: UInt32, length: Int, cls: UInt8) {
        let decoded = UTF8Scalars.decode(bytes, at: i)
        return (decoded.value, decoded.length, CharacterClass.of(decoded.value))
    }

    private static func isOther(_ cls: UInt8) -> Bool {
        cls & (CharacterClass.letter | CharacterClass.number | CharacterClass.space) == 0
    }

    /// End of the run of scalars from `i` whose class satisfies `test`.
    @inline(__always)
    private func runEnd(from i: Int, limit: Int = Int.max, _ test: (UInt32, UInt8) -> Bool) -> Int {
        var j = i
        var taken = 0
        while j < bytes.count && taken < limit {
            let s = scalar(at: j)
            if !test(s.value, s.cls) { break }
            j += s.length
            taken += 1
        }
        return j
    }

    func matchEnd(at i: Int) -> Int {
        if let end = contractionEnd(at: i) { return end }
        switch kind {
        case .gpt2: return gpt2End(at: i)
        case .llama3, .qwen2: return llamaEnd(at: i)
        }
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitive for Llama 3 / Qwen2.
    private func contractionEnd(at i: Int) -> Int? {
        guard bytes[i] == 0x27, i + 1 < bytes.count else { return nil }
        let fold: (UInt8) -> UInt8 = kind == .gpt2 ? { $0 } : { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let c1 = fold(bytes[i + 1])
        if c1 == UInt8(ascii: "s") || c1 == UInt8(ascii: "t") || c1 == UInt8(ascii: "m") || c1 == UInt8(ascii: "d") {
            return i + 2
        }
        guard i + 2 < bytes.count else { return nil }
        let c2 = fold(bytes[i + 2])
        if (c1 == UInt8(ascii: "r") && c2 == UInt8(ascii: "e")) || (c1 == UInt8(ascii: "v") && c2 == UInt8(ascii: "e"))
            || (c1 == UInt8(ascii: "l") && c2 == UInt8(ascii: "l")) {
            return i + 3
        }
        return nil
    }

    private func gpt2End(at i: Int) -> Int {
        let first = scalar(at: i)
        var start = i
        var cls = first.cls
        if first.value == 0x20 && i + 1 < bytes.count {
            let second = scalar(at: i + 1)
            if second.cls & CharacterClass.space == 0 {
                start = i + 1
                cls = second.cls
            }
        }
        if cls & CharacterClass.letter != 0 { return runEnd(from: start) { $1 & CharacterClass.letter != 0 } }
        if cls & CharacterClass.number != 0 { return runEnd(from: start) { $1 & CharacterClass.number != 0 } }
        if Self.isOther(cls) { return runEnd(from: start) { Self.isOther($1) } }
        return whitespaceEnd(at: i)
    }

    private func llamaEnd(at i: Int) -> Int {
        let first = scalar(at: i)
        let letter = CharacterClass.letter
        let number = CharacterClass.number
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if first.cls & letter != 0 { return runEnd(from: i) { $1 & letter != 0 } }
        let isNewline = first.value == 0x0A || first.value == 0x0D
        if !isNewline && first.cls & number == 0 && i + first.length < bytes.count {
            let next = i + first.length
            if scalar(at: next).cls & letter != 0 { return runEnd(from: next) { $1 & letter != 0 } }
        }
        // \p{N}{1,3} (Llama 3) or \p{N} (Qwen2)
        if first.cls & number != 0 {
            return runEnd(from: i, limit: kind == .llama3 ? 3 : 1) { $1 & number != 0 }
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start: Int? = Self.isOther(first.cls) ? i : nil
        if first.value == 0x20 && i + 1 < bytes.count && Self.isOther(scalar(at: i + 1).cls) { start = i + 1 }
        if let start {
            let end = runEnd(from: start) { Self.isOther($1) }
            return runEnd(from: end) { value, _ in value == 0x0A || value == 0x0D }
        }
        // \s*[\r\n]+ : up to and including the last \r or \n of the whitespace run.
        let spaceEnd = runEnd(from: i) { $1 & CharacterClass.space != 0 }
        var j = spaceEnd
        while j > i {
            let k = UTF8Scalars.start(before: j, in: bytes)
            if bytes[k] == 0x0A || bytes[k] == 0x0D { return k + 1 }
            j = k
        }
        return whitespaceEnd(at: i, runEnd: spaceEnd)
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: the run, less its last scalar when a non-space follows and the run
    /// has more than one scalar.
    private func whitespaceEnd(at i: Int, runEnd known: Int? = nil) -> Int {
        let end = known ?? runEnd(from: i) { $1 & CharacterClass.space != 0 }
        if end == bytes.count { return end }
        let last = UTF8Scalars.start(before: end, in: bytes)
        return last > i ? last : end
    }
}
