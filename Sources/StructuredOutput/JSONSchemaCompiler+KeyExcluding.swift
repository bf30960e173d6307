extension JSONSchemaCompiler {
    /// A JSON string that is none of `names`: the complement of their trie.
    ///
    /// Every branch ends with the same closing quote, so the "any other character, then anything" continuations
    /// share one fragment (`sharedTail(0)`; `sharedTail(1)` for a non-ASCII first character). Escapes are allowed
    /// except `\/` and `\uXXXX` (which could spell a name's plain character), and except where the escaped
    /// character would continue a name. The names are sorted once and the trie walked over ranges of them, with
    /// ASCII sets as byte sets: objects with many properties call this often.
    static func keyExcluding(_ names: [String]) -> GrammarExpr {
        guard !names.isEmpty else { return JSONGrammar.anyString }
        let sorted = names.map { $0.unicodeScalars.map(\.value) }.sorted { $0.lexicographicallyPrecedes($1) }
        let closing = GrammarExpr.literal("\"")
        func excluding(_ range: Range<Int>, depth: Int) -> GrammarExpr {
            var alternatives: [GrammarExpr] = []
            alternatives.reserveCapacity(6)
            var index = range.lowerBound
            // A name ending here sorts first among those with this prefix.
            while index < range.upperBound && sorted[index].count == depth { index += 1 }
            if index == range.lowerBound { alternatives.append(closing) }
            var otherASCII = KeyExclusion.asciiPlain
            var escapedChildren = ByteSet()  // escape letters whose character continues a name here
            var nonASCIIChildren = CodepointSet()
            while index < range.upperBound {
                let scalar = sorted[index][depth]
                var end = index + 1
                while end < range.upperBound && sorted[end][depth] == scalar { end += 1 }
                if let letter = KeyExclusion.letter(escaping: scalar) { escapedChildren.insert(letter) }
                if KeyExclusion.isPlain(scalar) {
                    let first: GrammarExpr
                    if scalar < 0x80 {
                        otherASCII = otherASCII.subtracting(ByteSet(byte: UInt8(scalar)))
                        first = .bytes(ByteSet(byte: UInt8(scalar)))
                    } else {
                        nonASCIIChildren.insert(scalar...scalar)
                        first = CodepointSet(scalar: scalar).utf8Expr()
                    }
                    alternatives.append(.concat([first, excluding(index..<end, depth: depth + 1)]))
                }
                index = end
            }
            if !otherASCII.isEmpty { alternatives.append(.concat([.bytes(otherASCII), .sharedTail(0)])) }
            if escapedChildren.isEmpty {
                alternatives.append(.sharedTail(2))
            } else {
                let free = KeyExclusion.escapeLetters.subtracting(escapedChildren)
                if !free.isEmpty { alternatives.append(.concat([KeyExclusion.escape(free), .sharedTail(0)])) }
            }
            if nonASCIIChildren.isEmpty {
                alternatives.append(.sharedTail(1))
            } else {
                let others = KeyExclusion.nonASCIIPlain.subtracting(nonASCIIChildren)
                alternatives.append(.concat([others.utf8Expr(), .sharedTail(0)]))
            }
            return .oneOf(alternatives)
        }
        let body = excluding(0..<sorted.count, depth: 0)
        return .sharedScope(tails: KeyExclusion.tails, body: .concat([closing, body]))
    }
}

/// The fixed parts of `keyExcluding`'s grammar.
enum KeyExclusion {
    /// Escaped character and the letter after the backslash.
    static let escapes: [(scalar: UInt32, letter: UInt8)] = [
        (0x22, 0x22), (0x5C, 0x5C), (0x08, 0x62), (0x0C, 0x66), (0x0A, 0x6E), (0x0D, 0x72), (0x09, 0x74),
    ]
    /// Characters a JSON string holds unescaped.
    static let plain = CodepointSet(ranges: [0...0x1F, 0x22...0x22, 0x5C...0x5C]).inverted()
    static let asciiPlain = ByteSet(range: 0x20...0x7F).subtracting(ByteSet(bytes: [0x22, 0x5C]))
    static let nonASCIIPlain = plain.subtracting(CodepointSet(ranges: [0...0x7F]))

    static let escapeLetters = ByteSet(bytes: escapes.map(\.letter))

    static func isPlain(_ scalar: UInt32) -> Bool { scalar >= 0x20 && scalar != 0x22 && scalar != 0x5C }

    static func letter(escaping scalar: UInt32) -> UInt8? {
        guard scalar < 0x20 || scalar == 0x22 || scalar == 0x5C else { return nil }
        return escapes.first { $0.scalar == scalar }?.letter
    }

    static func escape(_ letters: ByteSet) -> GrammarExpr { .concat([.literal("\\"), .bytes(letters)]) }

    /// 0: any characters, then the closing quote; 1: a non-ASCII character, then 0; 2: an escape, then 0.
    static let tails: [GrammarExpr] = [
        .concat([.star(.oneOf([plain.utf8Expr(), escape(escapeLetters)])), .literal("\"")]),
        .concat([nonASCIIPlain.utf8Expr(), .sharedTail(0)]),
        .concat([escape(escapeLetters), .sharedTail(0)]),
    ]
}
