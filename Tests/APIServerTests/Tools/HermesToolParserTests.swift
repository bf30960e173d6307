import Testing
import Tokenization

@testable import APIServer

@Suite("HermesToolParser")
struct HermesToolParserTests {
    let parser = HermesToolParser()
    static let weather =
        #"<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>"#

    @Test("a whole output gives the call, with arguments as Python's json.dumps writes them")
    func oneCall() {
        let out = parser.extract(
            #"<tool_call>\#n{"name":"get_weather","arguments":{"city":"Paris","days":3}}\#n</tool_call>"#)
        #expect(out.toolCalls.count == 1)
        #expect(out.toolCalls.first?.name == "get_weather")
        #expect(out.toolCalls.first?.arguments == #"{"city": "Paris", "days": 3}"#)
        #expect(out.toolCalls.first?.id.hasPrefix("chatcmpl-tool-") == true)
        #expect(out.toolCalls.first?.id.count == "chatcmpl-tool-".count + 32)
        #expect(out.content == nil, "no text before the call leaves content null")
    }

    @Test("text before the first call is the content; two calls give two ids")
    func contentAndTwoCalls() {
        let out = parser.extract(
            "Let me check.\n" + Self.weather + "\n"
                + Self.weather.replacingOccurrences(of: "Paris", with: "Rome"))
        #expect(out.content == "Let me check.\n")
        #expect(
            out.namesAndArguments == [
                #"get_weather {"city": "Paris"}"#, #"get_weather {"city": "Rome"}"#,
            ])
        #expect(Set(out.toolCalls.map(\.id)).count == 2)
    }

    @Test("a last call without its end tag counts when its JSON is complete")
    func missingEndTag() {
        let out = parser.extract(#"<tool_call>{"name": "f", "arguments": {}}"#)
        #expect(out.namesAndArguments == ["f {}"])
    }

    @Test("malformed call JSON falls back to the whole text as content, as vLLM does")
    func malformedFallsBack() {
        for text in [
            #"Sure <tool_call>{"name": "f", "arguments": {"a": }}</tool_call>"#,
            #"<tool_call>{"arguments": {}}</tool_call>"#,
            #"<tool_call>not json</tool_call>"#,
            #"<tool_call>{"name": "f", "arguments": {"a": 1}"#,
        ] {
            let out = parser.extract(text)
            #expect(!out.toolsCalled, "\(text)")
            #expect(out.content == text)
        }
    }

    @Test("text without a call is plain content")
    func plainText() {
        #expect(parser.extract("Hello") == ExtractedToolCalls(toolCalls: [], content: "Hello"))
    }

    @Test("streaming never leaks part of the start tag as content")
    func holdsBackPartialTag() {
        var streamer = ToolCallStreamer(parser: parser)
        #expect(streamer.add("Hi <tool_ca").content == "Hi ")
        let next = streamer.add(#"ll>{"name": "f""#)
        #expect(next.content == "")
        #expect(next.toolCalls.first?["function"]?["name"] == "f")
        #expect(next.toolCalls.first?["type"] == "function")
        #expect(next.toolCalls.first?["index"]?.int == 0)
    }

    @Test("a call that arrives whole is one delta entry: index, id, type, name and all its arguments")
    func wholeCallInOneStep() {
        var streamer = ToolCallStreamer(parser: parser)
        let step = streamer.add(Self.weather)
        #expect(step.toolCalls.count == 1)
        #expect(step.toolCalls.first?["id"]?.stringValue?.hasPrefix("chatcmpl-tool-") == true)
        #expect(step.toolCalls.first?["function"]?["name"] == "get_weather")
        #expect(step.toolCalls.first?["function"]?["arguments"] == #"{"city": "Paris"}"#)
        #expect(streamer.finish().isEmpty)
        #expect(streamer.toolsCalled)
    }

    @Test("a held partial tag that never completes is content at the end")
    func partialTagAtEnd() {
        let streamed = StreamedToolCalls(parser, ["a <tool", "_c"])
        #expect(streamed.content == "a <tool_c")
        #expect(!streamed.toolsCalled)
    }

    @Test(
        "arguments stream in fragments split mid-string and mid-number, adding up to the whole output's"
    )
    func streamingMatchesWholeOutput() {
        expectStreamingMatchesWholeOutput(parser, "Checking.\n" + Self.weather)
        expectStreamingMatchesWholeOutput(
            parser,
            #"<tool_call>{"name": "add", "arguments": {"a": 1.50, "b": [true, null], "s": "x\"y\u00e9\n"}}</tool_call>"#
                + "\n" + #"<tool_call>{"arguments": {"q": "z"}, "name": "search"}</tool_call>"#)
    }

    @Test("malformed JSON in a stream is released as content when no call was announced")
    func streamingFallback() {
        expectStreamingMatchesWholeOutput(parser, #"Hi <tool_call>{"name": 3}</tool_call>"#)
        let streamed = StreamedToolCalls(parser, ["<tool_call>", "oops", "</tool_call>"])
        #expect(streamed.content == "<tool_call>oops</tool_call>")
        #expect(streamed.calls.isEmpty)
    }
}
