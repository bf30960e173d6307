import Foundation
import Tokenization

/// Where a growing output stands for a streaming parser.
enum CallRegion: Equatable {
    /// No call has begun; the bytes before `releasable` are certainly content (the rest could begin a marker).
    case content(releasable: Int)
    /// Calls can never begin (Llama's output did not open with one): everything is content.
    case never
    /// The content ends at `contentEnd`; the calls are read from `bodyStart` on.
    case calls(contentEnd: Int, bodyStart: Int)
}

/// The calls read so far from the call region of an output.
struct CallList {
    var calls: [PartialToolCall] = []
    /// The region can no longer be read as calls (text where a call should be, a broken separator).
    var invalid = false

    /// What follows a complete call, judged from the first non-space byte after it.
    enum Continuation {
        /// The next call starts here.
        case next(Int)
        /// The list ends (complete).
        case end
        /// A broken separator: the region is not calls.
        case invalid
    }

    /// Reads calls one after another from `start` until one is incomplete or invalid, the text runs out, or
    /// `follow` ends the list; `follow` gets the first non-space offset after each complete call.
    static func scan(
        _ text: [UInt8], from start: Int, argumentKeys: [String], follow: (Int) -> Continuation
    ) -> CallList {
        var list = CallList()
        var start = start
        while true {
            let call = PartialToolCall(text, from: start, argumentKeys: argumentKeys)
            list.calls.append(call)
            if call.invalid { list.invalid = true }
            guard !call.invalid, let end = call.end else { return list }
            let after = JSONPrefixScanner.skipWhitespace(text, from: end)
            guard after < text.count else { return list }
            switch follow(after) {
            case .next(let position): start = position
            case .end: return list
            case .invalid:
                list.invalid = true
                return list
            }
        }
    }
}

/// One model family's tool-call text format (vLLM's `--tool-call-parser NAME`).
///
/// A parser is a pure description of the format: where calls begin and how they follow one another. Whole outputs
/// go through `extract`; streams through `ToolCallStreamer`, which asks `locateCalls` and `calls` again as the
/// text grows. Both read call objects with `PartialToolCall` and write arguments with `ArgumentsFormatter`, so a
/// stream's fragments add up to the non-streaming arguments.
protocol ToolCallParser: Sendable {
    /// The `--tool-call-parser` name.
    static var name: String { get }
    /// The keys that hold a call's arguments.
    var argumentKeys: [String] { get }
    /// Whether the request must keep special tokens in the text (the call marker is one in some tokenizers).
    var needsSpecialTokens: Bool { get }

    /// Searches `text` from `from` (bytes already released as content, which cannot begin a marker).
    func locateCalls(in text: [UInt8], from: Int) -> CallRegion
    /// The calls of the region that starts at `bodyStart`.
    func calls(in text: [UInt8], from bodyStart: Int) -> CallList
    /// The calls and content of a whole output; on anything malformed, no calls and the text as content.
    func extract(_ text: String) -> ExtractedToolCalls
    /// A new call's `id`.
    func makeCallID() -> String
}

extension ToolCallParser {
    var argumentKeys: [String] { ["arguments"] }
    var needsSpecialTokens: Bool { true }

    /// vLLM's `chatcmpl-tool-<uuid hex>`.
    func makeCallID() -> String {
        "chatcmpl-tool-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    /// The calls of a whole region, or nil unless every one is complete, named, with arguments, and valid JSON.
    func finishedCalls(_ list: CallList, in bytes: [UInt8]) -> [ToolCall]? {
        guard !list.invalid, !list.calls.isEmpty else { return nil }
        var out: [ToolCall] = []
        for call in list.calls {
            guard call.isUsable, let name = call.name, let arguments = call.arguments, let end = call.end
            else {
                return nil
            }
            guard let start = call.start, PartialToolCall.decode(bytes, start..<end) != nil else {
                return nil
            }
            out.append(
                ToolCall(
                    id: makeCallID(), name: name,
                    arguments: ArgumentsFormatter.format(bytes[arguments], complete: true)))
        }
        return out
    }
}
