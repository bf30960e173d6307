import ServingCore

/// Turns a stream of generated token ids into text deltas (vLLM's slow path; docs/architecture.md §6.2).
///
/// Keeps a window of ids: `prefixOffset..<readOffset` is text already emitted, `readOffset...` is pending. Each new
/// id decodes the window and emits only the growth past the prefix text, and only when the decoded text grew and
/// does not end in U+FFFD (an incomplete UTF-8 character). Decoding a window rather than single tokens keeps
/// SentencePiece's leading-space handling right. `finish()` flushes whatever is pending, even an incomplete
/// character. With `skipSpecialTokens`, special ids produce no text.
///
/// One per request; not thread-safe (a value type owned by the request's output processor).
public struct IncrementalDetokenizer: Sendable {
    /// vLLM's INITIAL_INCREMENTAL_DETOKENIZATION_OFFSET: how far before the prompt end the window starts.
    static let initialOffset = 5

    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    private var ids: [TokenID]
    private var prefixOffset: Int
    private var readOffset: Int
    /// All text emitted so far.
    public private(set) var outputText: String = ""

    /// Primes the window with the end of the prompt (the last `initialOffset + 2` prompt ids, as vLLM does).
    public init(tokenizer: Tokenizer, promptTokenIDs: [TokenID], skipSpecialTokens: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
        let tail = promptTokenIDs.suffix(Self.initialOffset + 2)
        ids = skipSpecialTokens ? tail.filter { !tokenizer.isSpecial($0) } : Array(tail)
        readOffset = ids.count
        prefixOffset = max(readOffset - Self.initialOffset, 0)
    }

    /// Adds one generated id and returns the new text it completes (often "", e.g. mid-character).
    public mutating func add(_ id: TokenID) -> String {
        if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
        ids.append(id)
        return emit(force: false)
    }

    /// Adds several generated ids (one engine step) and returns the new text.
    public mutating func add(contentsOf newIDs: [TokenID]) -> String {
        var text = ""
        for id in newIDs { text += add(id) }
        return text
    }

    /// Emits the pending text, incomplete characters included (as U+FFFD). Call once when the request finishes.
    public mutating func finish() -> String {
        readOffset < ids.count ? emit(force: true) : ""
    }

    private mutating func emit(force: Bool) -> String {
        let prefixText = tokenizer.decode(Array(ids[prefixOffset..<readOffset]), skipSpecialTokens: skipSpecialTokens)
        let newText = tokenizer.decode(Array(ids[prefixOffset...]), skipSpecialTokens: skipSpecialTokens)
        let prefixCount = prefixText.unicodeScalars.count
        let newScalars = newText.unicodeScalars
        guard newScalars.count > prefixCount else { return "" }
        if !force && newScalars.last == "\u{FFFD}" { return "" }
        let delta = String(String.UnicodeScalarView(newScalars.dropFirst(prefixCount)))
        prefixOffset = readOffset
        readOffset = ids.count
        trimWindow()
        outputText += delta
        return delta
    }

    /// Drops ids before the window so a long generation keeps O(1) memory per step.
    private mutating func trimWindow() {
        guard prefixOffset > 256 else { return }
        ids.removeFirst(prefixOffset)
        readOffset -= prefixOffset
        prefixOffset = 0
    }
}
