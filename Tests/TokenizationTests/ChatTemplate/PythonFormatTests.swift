import Testing

@testable import Tokenization

@Suite("Values print the way Python prints them")
struct PythonFormatTests {
    @Test(
        "floats print like repr(float)",
        arguments: [
            (1.0, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"), (-2.5, "-2.5"), (9007199254740992.0, "9007199254740992.0"), (1e-5, "1e-05"),
            (123.456, "123.456"), (1.7976931348623157e308, "1.7976931348623157e+308"), (5e-324, "5e-324"),
        ])
    func floatRepr(_ value: Double, _ expected: String) {
        #expect(PythonFormat.float(value) == expected)
    }

    @Test("strings print like repr(str), choosing the quote Python chooses")
    func stringRepr() {
        #expect(PythonFormat.stringRepr("plain") == "'plain'")
        #expect(PythonFormat.stringRepr("it's") == "\"it's\"")
        #expect(PythonFormat.stringRepr("both ' \"") == "'both \\' \"'")
        #expect(PythonFormat.stringRepr("tab\tnew\n\u{01}") == "'tab\\tnew\\n\\x01'")
    }

    @Test("JSON strings escape like json.dumps with ensure_ascii=False")
    func jsonString() {
        #expect(PythonFormat.jsonString("é\"\\\n\u{1F}🌍") == "\"é\\\"\\\\\\n\\u001f🌍\"")
    }
}
