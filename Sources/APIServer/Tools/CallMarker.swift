/// Finds a call marker (`<tool_call>`, `[TOOL_CALLS]`) in output bytes, and how much text before it is safe to
/// stream as content: a tail that could be the start of the marker ("<tool_ca") is held back, as a stream holds
/// back a partial stop string.
enum CallMarker {
    static func find(_ marker: [UInt8], in text: [UInt8], from start: Int) -> Int? {
        guard !marker.isEmpty, text.count >= marker.count else { return nil }
        var i = max(start, 0)
        while i + marker.count <= text.count {
            if text[i] == marker[0], text[i..<i + marker.count].elementsEqual(marker) { return i }
            i += 1
        }
        return nil
    }

    /// `.calls` at the first marker at or after `start`, else the content releasable without leaking a partial one.
    static func locate(_ marker: [UInt8], in text: [UInt8], from start: Int) -> CallRegion {
        if let at = find(marker, in: text, from: start) {
            return .calls(contentEnd: at, bodyStart: at + marker.count)
        }
        return .content(releasable: text.count - partialSuffix(marker, of: text))
    }

    /// The length of the longest tail of `text` that is a proper prefix of `marker`.
    static func partialSuffix(_ marker: [UInt8], of text: [UInt8]) -> Int {
        var length = min(marker.count - 1, text.count)
        while length > 0 {
            if text[(text.count - length)...].elementsEqual(marker[..<length]) { return length }
            length -= 1
        }
        return 0
    }

    /// Whether `text` from `start` begins with `marker`; nil when the text ends inside what could still be it.
    static func starts(_ marker: [UInt8], in text: [UInt8], at start: Int) -> Bool? {
        let available = min(marker.count, text.count - start)
        guard text[start..<start + available].elementsEqual(marker[..<available]) else { return false }
        return available == marker.count ? true : nil
    }
}
