import Testing

@testable import Tokenization

@Suite("Chat template errors name the construct and the place")
struct ChatTemplateErrorTests {
    private func compileError(_ source: String) -> ChatTemplateError? {
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(source) }
    }

    private func renderError(_ source: String) throws -> ChatTemplateError? {
        let template = try ChatTemplate(source)
        return #expect(throws: ChatTemplateError.self) {
            try template.render(messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil)
        }
    }

    @Test("an unsupported tag fails at compile time and names the tag")
    func unsupportedTag() {
        let error = compileError("hello\n  {% include 'other.jinja' %}")
        #expect(error?.kind == .unsupported)
        #expect(error?.message.contains("include") == true)
        #expect(error?.line == 2)
        #expect(error?.column == 6)
    }

    @Test("an unknown filter or test fails at compile time and names it")
    func unknownFilterAndTest() {
        let filter = compileError("{{ messages | wordwrap(10) }}")
        #expect(filter?.kind == .unsupported)
        #expect(filter?.message == "filter 'wordwrap'")
        let test = compileError("{% if x is prime %}{% endif %}")
        #expect(test?.kind == .unsupported)
        #expect(test?.message == "test 'prime'")
    }

    @Test("recursive loops, block filters and *args are refused")
    func otherUnsupportedConstructs() {
        #expect(compileError("{% for x in y recursive %}{% endfor %}")?.kind == .unsupported)
        #expect(compileError("{% filter upper %}x{% endfilter %}")?.kind == .unsupported)
        #expect(compileError("{% set x | upper %}x{% endset %}")?.kind == .unsupported)
        #expect(compileError("{{ f(*args) }}")?.kind == .unsupported)
        #expect(compileError("{% raw %}{{ x }}{% endraw %}")?.kind == .unsupported)
    }

    @Test("a missing end tag is a syntax error that says which tag was expected")
    func missingEndTag() {
        let error = compileError("{% if true %}\n{% for m in messages %}x{% endif %}")
        #expect(error?.kind == .syntax)
        let unterminated = compileError("{% if true %}yes")
        #expect(unterminated?.message.contains("{% endif %}") == true)
    }

    @Test("unclosed tags, strings and comments are syntax errors with a location")
    func unclosedDelimiters() {
        let tag = compileError("line one\nline {{ two")
        #expect(tag?.kind == .syntax)
        #expect(tag?.line == 2)
        #expect(tag?.column == 6)
        #expect(compileError("{{ 'open }}")?.kind == .syntax)
        #expect(compileError("{# never closed")?.kind == .syntax)
        #expect(compileError("{{ 1 + }}")?.kind == .syntax)
        #expect(compileError("{% if %}{% endif %}")?.kind == .syntax)
        #expect(compileError("{% frobnicate %}")?.kind == .syntax)
    }

    @Test("raise_exception carries the template's message verbatim")
    func raisedMessage() throws {
        let error = try renderError("{{ raise_exception('Only user and assistant roles are supported!') }}")
        #expect(error?.kind == .raised)
        #expect(error?.message == "Only user and assistant roles are supported!")
        #expect(error?.description == "Only user and assistant roles are supported!")
    }

    @Test("attribute access on an undefined variable fails at the expression's line")
    func undefinedAttribute() throws {
        let error = try renderError("fine\n{{ nothing.content }}")
        #expect(error?.kind == .runtime)
        #expect(error?.message == "'nothing' is undefined")
        #expect(error?.line == 2)
    }

    @Test("Python type errors surface instead of a wrong render")
    func typeErrors() throws {
        #expect(try renderError("{{ 'a' + 1 }}")?.message.contains("concatenate") == true)
        #expect(try renderError("{{ 1 / 0 }}")?.kind == .runtime)
        #expect(try renderError("{{ '%s' % 1 }}")?.kind == .unsupported)
        #expect(try renderError("{% for x in 5 %}{% endfor %}")?.message.contains("not iterable") == true)
        #expect(try renderError("{{ undefined_function() }}")?.message == "'undefined_function' is undefined")
    }

    @Test("mutating a list or dict is refused like transformers' immutable sandbox")
    func immutableSandbox() throws {
        #expect(try renderError("{% set l = [1] %}{{ l.append(2) }}")?.kind == .runtime)
        #expect(try renderError("{% set d = {} %}{{ d.update({'a': 1}) }}")?.kind == .runtime)
    }

    @Test("runaway macro recursion fails instead of overflowing the stack")
    func macroRecursion() throws {
        let error = try renderError("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        #expect(error?.message.contains("recursion") == true)
    }

    @Test("setting an attribute on something that is not a namespace fails")
    func setAttributeOnNonNamespace() throws {
        #expect(try renderError("{% set d = {} %}{% set d.x = 1 %}")?.kind == .runtime)
    }
}

@Suite("Hostile templates fail cleanly instead of exhausting the process")
struct ChatTemplateLimitTests {
    @Test("deeply nested expressions and blocks are refused at compile time")
    func deepNesting() {
        let parentheses = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ \(parentheses) }}") }
        #expect(throws: ChatTemplateError.self) {
            try ChatTemplate("{{ " + String(repeating: "not ", count: 5000) + "x }}")
        }
        let blocks = String(repeating: "{% if true %}", count: 3000) + String(repeating: "{% endif %}", count: 3000)
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(blocks) }
    }

    @Test("a namespace that contains itself prints without recursing forever")
    func selfReferentialNamespace() throws {
        let template = try ChatTemplate("{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}")
        let text = try template.render(messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil)
        #expect(text.hasPrefix("<Namespace {'a': 1, 'me': <Namespace {'a': 1, 'me': "))
    }

    @Test("huge repetitions are refused")
    func hugeRepetition() throws {
        let template = try ChatTemplate("{{ 'ab' * 100000000 }}")
        #expect(throws: ChatTemplateError.self) {
            try template.render(messages: [], addGenerationPrompt: false, bosToken: nil, eosToken: nil)
        }
    }
}
