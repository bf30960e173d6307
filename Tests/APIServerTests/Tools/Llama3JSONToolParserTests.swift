import Testing
import Tokenization

@testable import APIServer

@Suite("Llama3JSONToolParser")
struct Llama3JSONToolParserTests {
    let parser = Llama3JSONToolParser()

    @Test("a call under parameters or arguments, after <|python_tag|> or not, has null content")
    func oneCall() {
        for text in [
            #"{"name": "get_weather", "parameters": {"city": "Paris"}}"#,
            #"<|python_tag|>{"name": "get_weather", "arguments": {"city":"Paris"}}"#,
        ] {
            let out = parser.extract(text)
            #expect(out.namesAndArguments == [#"get_weather {"city": "Paris"}"#], "\(text)")
            #expect(out.content == nil)
        }
    }

    @Test("calls separated by semicolons are all returned")
    func semicolons() {
        let out = parser.extract(
            #"{"name": "a", "parameters": {}}; {"name": "b", "parameters": {"x": [1, 2]}}"#)
        #expect(out.namesAndArguments == ["a {}", #"b {"x": [1, 2]}"#])
    }

    @Test("malformed JSON, or both parameters and arguments, is returned as content")
    func malformed() {
        for text in [
            #"{"name": "a", "parameters": {"x": }"#,
            #"{"name": "a", "parameters": {}, "arguments": {}}"#,
            "I like {braces}",
        ] {
            #expect(parser.extract(text) == ExtractedToolCalls(toolCalls: [], content: text), "\(text)")
        }
    }

    @Test("plain text streams as content at once; text that opens with { streams as calls")
    func streaming() {
        var streamer = ToolCallStreamer(parser: parser)
        #expect(streamer.add("Hello").content == "Hello")
        #expect(streamer.add(" {").content == " {")
        expectStreamingMatchesWholeOutput(
            parser,
            #"{"name": "a", "parameters": {"n": -2.5e3}}; {"name": "b", "arguments": {"t": "x;y"}}"#)
        expectStreamingMatchesWholeOutput(
            parser, #"<|python_tag|>{"name": "a", "parameters": {"k": false}}"#)
    }

    @Test(
        "a stream holds a partial <|python_tag|> back, and releases it as content if it was not one")
    func partialPythonTag() {
        var streamer = ToolCallStreamer(parser: parser)
        #expect(streamer.add("<|py").content == "")
        #expect(streamer.add("xx").content == "<|pyxx")
        let malformed = StreamedToolCalls(parser, ["{\"na", "me\": 1}"])
        #expect(malformed.content == #"{"name": 1}"#)
        #expect(!malformed.toolsCalled)
    }
}
