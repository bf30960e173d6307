import Testing
import Tokenization

@testable import APIServer

@Suite("MistralToolParser")
struct MistralToolParserTests {
    let parser = MistralToolParser()
    static let two =
        #"[TOOL_CALLS] [{"name": "add", "arguments": {"a": 1, "b": 2}}, {"name": "mul", "arguments": {"a": 3}}]"#

    @Test("the array after [TOOL_CALLS] gives the calls, with 9-character alphanumeric ids")
    func calls() {
        let out = parser.extract("Sure." + Self.two)
        #expect(out.namesAndArguments == [#"add {"a": 1, "b": 2}"#, #"mul {"a": 3}"#])
        #expect(out.content == "Sure.")
        for call in out.toolCalls {
            #expect(call.id.count == 9 && call.id.allSatisfy { $0.isLetter || $0.isNumber })
        }
    }

    @Test("malformed calls return the text without the marker, trimmed, as vLLM does")
    func malformed() {
        let out = parser.extract(#"[TOOL_CALLS] [{"name": "add", "arguments": {"a": }}] "#)
        #expect(!out.toolsCalled)
        #expect(out.content == #"[{"name": "add", "arguments": {"a": }}]"#)
    }

    @Test("streaming holds back a partial [TOOL_CALLS] and matches the whole output at every split")
    func streaming() {
        var streamer = ToolCallStreamer(parser: parser)
        #expect(streamer.add("Ok [TOOL_").content == "Ok ")
        expectStreamingMatchesWholeOutput(parser, "Ok" + Self.two)
    }

    @Test("the parser keeps special tokens, since [TOOL_CALLS] is one")
    func specialTokens() {
        #expect(parser.needsSpecialTokens)
        #expect(!Llama3JSONToolParser().needsSpecialTokens)
    }
}
