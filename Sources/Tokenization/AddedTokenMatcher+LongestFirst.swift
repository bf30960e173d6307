import ServingCore

extension AddedTokenMatcher {
    /// llama.cpp's partition of text around special tokens: tokens are taken longest first (ties by id); each one
    /// claims, left to right, its occurrences that lie wholly in text no longer-or-earlier token claimed.
    ///
    /// Same as repeating `find` per token over the remaining fragments, but finds the candidate occurrences in one
    /// trie pass, so the cost follows the text and the matches, not the number of tokens (Gemma has thousands).
    /// `lstrip` / `rstrip` / `single_word` do not apply: GGUF files carry no such attributes.
    func splitLongestFirst(_ bytes: UnsafeBufferPointer<UInt8>) -> [(id: TokenID?, range: Range<Int>)] {
        var occurrences: [Int: [Int]] = [:]  // token index → start offsets, increasing
        for i in 0..<bytes.count {
            allMatches(bytes, at: i) { index, _ in occurrences[index, default: []].append(i) }
        }
        if occurrences.isEmpty { return [(nil, 0..<bytes.count)] }
        let ordered = occurrences.keys.sorted { a, b in
            let (la, lb) = (tokens[a].content.utf8.count, tokens[b].content.utf8.count)
            return la != lb ? la > lb : tokens[a].id < tokens[b].id
        }
        var claimed = [Bool](repeating: false, count: bytes.count)
        var placed: [(start: Int, end: Int, id: TokenID)] = []
        for index in ordered {
            let length = tokens[index].content.utf8.count
            var nextFree = 0  // an occurrence may not overlap the previous one of the same token
            for start in occurrences[index]! where start >= nextFree {
                let end = start + length
                if claimed[start..<end].contains(true) { continue }
                for k in start..<end { claimed[k] = true }
                placed.append((start, end, tokens[index].id))
                nextFree = end
            }
        }
        placed.sort { $0.start < $1.start }
        var result: [(id: TokenID?, range: Range<Int>)] = []
        var offset = 0
        for match in placed {
            if offset < match.start { result.append((nil, offset..<match.start)) }
            result.append((match.id, match.start..<match.end))
            offset = match.end
        }
        if offset < bytes.count { result.append((nil, offset..<bytes.count)) }
        return result
    }
}
