import Tokenization

/// What one step of a streamed choice carries once tool calls are parsed out: content and `delta.tool_calls`.
struct ToolStreamDelta: Sendable, Equatable {
    var content = ""
    /// `{"index", "id", "type", "function": {"name"}}` when a call starts, then `{"index", "function":
    /// {"arguments": fragment}}`.
    var toolCalls: [JSONValue] = []

    var isEmpty: Bool { content.isEmpty && toolCalls.isEmpty }

    static func += (lhs: inout ToolStreamDelta, rhs: ToolStreamDelta) {
        lhs.content += rhs.content
        lhs.toolCalls += rhs.toolCalls
    }
}

/// Streaming tool-call extraction for one choice (vLLM's `extract_tool_calls_streaming`), fed the text deltas the
/// choice releases.
///
/// Content before the calls streams as content, minus any tail that could begin the call marker; once the calls
/// begin, text outside them is not content (as in a non-streaming response). A call is announced — index, id, type
/// "function", name — once its name is complete; its arguments then stream as `ArgumentsFormatter` fragments. If
/// the calls turn out malformed before any was announced, the held text is released as content, as the
/// non-streaming fallback returns it; after one was announced, a malformed rest is dropped.
struct ToolCallStreamer {
    let parser: any ToolCallParser
    private var text: [UInt8] = []
    private var released = 0
    private var phase = Phase.content
    private var announced: [Announced] = []

    private enum Phase {
        case content
        case calls(bodyStart: Int)
        /// Everything is content from here on.
        case plain
    }

    private struct Announced {
        var id: String
        /// UTF-8 bytes of the arguments string already sent.
        var argumentsSent = 0
        /// All of the arguments were sent; later steps skip the call.
        var finished = false
    }

    init(parser: any ToolCallParser) { self.parser = parser }

    /// Whether any call was announced: the choice then finishes with "tool_calls".
    var toolsCalled: Bool { !announced.isEmpty }

    /// Takes the choice's next released text.
    mutating func add(_ delta: String) -> ToolStreamDelta {
        text += delta.utf8
        return advance(final: false)
    }

    /// The rest, once the choice finished: held text becomes content, a call stopped short sends what it has.
    mutating func finish() -> ToolStreamDelta { advance(final: true) }

    private mutating func advance(final: Bool) -> ToolStreamDelta {
        var out = ToolStreamDelta()
        if case .content = phase {
            switch parser.locateCalls(in: text, from: released) {
            case .content(let releasable): out.content += release(upTo: final ? text.count : releasable)
            case .never: phase = .plain
            case .calls(let contentEnd, let bodyStart):
                out.content += release(upTo: contentEnd)
                phase = .calls(bodyStart: bodyStart)
            }
        }
        if case .calls(let bodyStart) = phase {
            let list = parser.calls(in: text, from: bodyStart)
            if announced.isEmpty, list.invalid || (final && !list.calls.contains { $0.name != nil }) {
                phase = .plain
            } else {
                out.toolCalls = callDeltas(list, final: final)
            }
        }
        if case .plain = phase { out.content += release(upTo: text.count) }
        return out
    }

    private mutating func release(upTo end: Int) -> String {
        guard end > released else { return "" }
        defer { released = end }
        return String(decoding: text[released..<end], as: UTF8.self)
    }

    /// Announces calls whose names are complete, in order, and sends the arguments each has gained: one entry per
    /// call per step, the announcement carrying the first fragment when there is one (as vLLM's hermes parser does).
    private mutating func callDeltas(_ list: CallList, final: Bool) -> [JSONValue] {
        var deltas: [JSONValue] = []
        for (index, call) in list.calls.enumerated() {
            guard index >= announced.count || !announced[index].finished else { continue }
            var entry: JSONObject = ["index": .int(index)]
            var function = JSONObject()
            if index == announced.count {
                guard !call.invalid, let name = call.name else { break }
                let id = parser.makeCallID()
                announced.append(Announced(id: id))
                entry["id"] = .string(id)
                entry["type"] = "function"
                function["name"] = .string(name)
            }
            if let arguments = call.arguments, !call.invalid {
                let complete = call.argumentsComplete || final
                let formatted = Array(ArgumentsFormatter.format(text[arguments], complete: complete).utf8)
                let sent = announced[index].argumentsSent
                if formatted.count > sent {
                    function["arguments"] = .string(String(decoding: formatted[sent...], as: UTF8.self))
                    announced[index].argumentsSent = formatted.count
                }
                announced[index].finished = complete
            }
            guard function.count > 0 else { continue }
            entry["function"] = .object(function)
            deltas.append(.object(entry))
        }
        return deltas
    }
}
