import ServingCore

/// Finds added tokens in text before normalization and BPE (HF `AddedVocabulary::find_matches`).
///
/// Matching is leftmost-longest over the token contents (a byte trie), then `single_word`, `lstrip` and `rstrip`
/// adjust or reject each match exactly as Hugging Face does; or, for GGUF vocabularies, llama.cpp's longest token
/// first (`AddedTokenMatcher+LongestFirst.swift`).
struct AddedTokenMatcher: Sendable {
    /// Which match wins where two overlap.
    enum Order: Sendable {
        /// Hugging Face: scan left to right, take the longest token starting there.
        case leftmostLongest
        /// llama.cpp (`tokenizer_st_partition`): place every occurrence of the longest token first, then of the
        /// next longest in the text left between them, and so on.
        case longestFirst
    }

    let tokens: [AddedToken]
    let order: Order
    /// Trie over UTF-8 bytes: `children[node][byte]` → node; `terminal[node]` → index into `tokens`.
    private var children: [[UInt8: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]

    /// `patterns[i]` is what `tokens[i]` matches (its content, or its normalized content).
    init(tokens: [AddedToken], patterns: [String], order: Order = .leftmostLongest) {
        self.tokens = tokens
        self.order = order
        for (index, pattern) in patterns.enumerated() where !pattern.isEmpty {
            var node = 0
            for byte in pattern.utf8 {
                if let child = children[node][byte] {
                    node = Int(child)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][byte] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(index) }
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Splits `bytes` into runs of plain text (`id == nil`) and added tokens.
    func split(_ bytes: UnsafeBufferPointer<UInt8>) -> [(id: TokenID?, range: Range<Int>)] {
        if tokens.isEmpty { return [(nil, 0..<bytes.count)] }
        if order == .longestFirst { return splitLongestFirst(bytes) }
        var result: [(id: TokenID?, range: Range<Int>)] = []
        var startOffset = 0
        var i = 0
        while i < bytes.count {
            guard let (index, end) = longestMatch(bytes, at: i) else {
                i += 1
                continue
            }
            let token = tokens[index]
            var start = i
            var stop = end
            if token.singleWord {
                let startSpace = start == 0 || !Self.isWord(before: start, bytes)
                let stopSpace = stop == bytes.count || !Self.isWord(at: stop, bytes)
                if !startSpace || !stopSpace {
                    i = end  // NOTE: like HF, a rejected match is still consumed by the match iterator.
                    continue
                }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0 {
                    let k = UTF8Scalars.start(before: newStart, in: bytes)
                    guard CharacterClass.of(UTF8Scalars.decode(bytes, at: k).value) & CharacterClass.space != 0
                    else { break }
                    newStart = k
                }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < bytes.count {
                    let scalar = UTF8Scalars.decode(bytes, at: stop)
                    guard CharacterClass.of(scalar.value) & CharacterClass.space != 0 else { break }
                    stop += scalar.length
                }
            }
            if startOffset < start { result.append((nil, startOffset..<start)) }
            result.append((token.id, start..<stop))
            startOffset = stop
            i = stop
        }
        if startOffset < bytes.count { result.append((nil, startOffset..<bytes.count)) }
        return result
    }

    /// Every token matching at `i`, as (index into `tokens`, end), shortest first.
    func allMatches(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, _ body: (Int, Int) -> Void) {
        var node = 0
        var j = i
        while j < bytes.count, let child = children[node][bytes[j]] {
            node = Int(child)
            j += 1
            if terminal[node] >= 0 { body(Int(terminal[node]), j) }
        }
    }

    private func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)? = nil
        var j = i
        while j < bytes.count, let child = children[node][bytes[j]] {
            node = Int(child)
            j += 1
            if terminal[node] >= 0 { best = (Int(terminal[node]), j) }
        }
        return best
    }

    private static func isWord(before end: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let k = UTF8Scalars.start(before: end, in: bytes)
        return CharacterClass.of(UTF8Scalars.decode(bytes, at: k).value) & CharacterClass.word != 0
    }

    private static func isWord(at start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        CharacterClass.of(UTF8Scalars.decode(bytes, at: start).value) & CharacterClass.word != 0
    }
}
