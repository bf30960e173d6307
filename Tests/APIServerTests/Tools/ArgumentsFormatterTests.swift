import Testing
import Tokenization

@testable import APIServer

@Suite("ArgumentsFormatter")
struct ArgumentsFormatterTests {
    func format(_ text: String, complete: Bool = true) -> String {
        ArgumentsFormatter.format(Array(text.utf8)[...], complete: complete)
    }

    @Test("whatever the model's spacing, arguments read as Python's json.dumps(ensure_ascii=False)")
    func pythonSpacing() {
        #expect(
            format(#"{"a":1,"b":[true,null,"x"],"c":{}}"#)
                == #"{"a": 1, "b": [true, null, "x"], "c": {}}"#)
        #expect(format("{ \"é\" :\t\"\\u00e9\\ud83d\\ude00\\/\" }") == "{\"é\": \"é😀/\"}")
        #expect(format(#"[1.50, 1e2, -0.0, 2E-7, 10]"#) == "[1.5, 100.0, -0.0, 2e-07, 10]")
    }

    @Test("a prefix gives only text the final string certainly starts with")
    func stablePrefixes() {
        let whole = #"{"n": 12.5, "s": "a\"b\u00e9", "t": true}"#
        let final = format(whole)
        for cut in 0...whole.utf8.count {
            let prefix = String(decoding: Array(whole.utf8)[..<cut], as: UTF8.self)
            #expect(final.hasPrefix(format(prefix, complete: false)), "\(prefix)")
        }
        #expect(format(#"{"n": 12"#, complete: false) == #"{"n": "#, "a number may still grow")
        #expect(
            format(#"{"s": "a\u00"#, complete: false) == #"{"s": "a"#, "an escape waits for its digits")
    }
}
