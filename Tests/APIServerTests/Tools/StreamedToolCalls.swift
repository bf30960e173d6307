import Testing
import Tokenization

@testable import APIServer

/// What a client assembles from a stream, as the OpenAI SDK does: content, and calls by index (the first delta
/// of a call brings its id, type and name; later ones append argument fragments).
struct StreamedToolCalls {
    var content = ""
    var contentDeltas: [String] = []
    var calls: [(id: String, name: String, arguments: String)] = []
    var toolsCalled = false
    /// Deltas that broke the protocol (a call's first delta without id/type/name, an index out of order).
    var violations: [String] = []

    /// Streams `pieces` through a fresh `ToolCallStreamer` of `parser`, finishing after the last.
    init(_ parser: any ToolCallParser, _ pieces: [String]) {
        var streamer = ToolCallStreamer(parser: parser)
        for piece in pieces { take(streamer.add(piece)) }
        take(streamer.finish())
        toolsCalled = streamer.toolsCalled
    }

    init(chunks: [JSONValue]) {
        for chunk in chunks {
            guard let delta = chunk["choices"]?[0]?["delta"] else { continue }
            var step = ToolStreamDelta()
            step.content = delta["content"]?.stringValue ?? ""
            step.toolCalls = delta["tool_calls"]?.arrayValue ?? []
            take(step)
        }
    }

    private mutating func take(_ delta: ToolStreamDelta) {
        if !delta.content.isEmpty {
            content += delta.content
            contentDeltas.append(delta.content)
        }
        for call in delta.toolCalls {
            guard let index = call["index"]?.int else {
                violations.append("no index")
                continue
            }
            if index == calls.count {
                guard let id = call["id"]?.stringValue, call["type"] == "function",
                    let name = call["function"]?["name"]?.stringValue
                else {
                    violations.append("call \(index) started without id, type and name")
                    continue
                }
                calls.append((id, name, ""))
            } else if index > calls.count || call["id"] != nil {
                violations.append("call \(index) out of order or announced twice")
                continue
            }
            calls[index].arguments += call["function"]?["arguments"]?.stringValue ?? ""
        }
    }

    /// The (name, arguments) pairs, for comparison with a non-streaming extraction.
    var namesAndArguments: [String] { calls.map { "\($0.name) \($0.arguments)" } }
}

extension ExtractedToolCalls {
    var namesAndArguments: [String] { toolCalls.map { "\($0.name) \($0.arguments)" } }
}

/// Every way to split `text` into two pieces, and one piece per character: the token boundaries a model may pick.
func awkwardSplits(_ text: String) -> [[String]] {
    let characters = text.map(String.init)
    var splits = [characters, [text]]
    for cut in 1..<characters.count {
        splits.append([characters[..<cut].joined(), characters[cut...].joined()])
    }
    return splits
}

/// Checks that streaming `text` under every awkward split gives what the non-streaming extraction gives.
func expectStreamingMatchesWholeOutput(
    _ parser: any ToolCallParser, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let whole = parser.extract(text)
    for pieces in awkwardSplits(text) {
        let streamed = StreamedToolCalls(parser, pieces)
        #expect(streamed.violations.isEmpty, "\(pieces)", sourceLocation: sourceLocation)
        #expect(
            streamed.namesAndArguments == whole.namesAndArguments, "\(pieces)",
            sourceLocation: sourceLocation)
        #expect(streamed.content == (whole.content ?? ""), "\(pieces)", sourceLocation: sourceLocation)
        #expect(streamed.toolsCalled == whole.toolsCalled, "\(pieces)", sourceLocation: sourceLocation)
    }
}
