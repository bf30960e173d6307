/// A 1-based line and column in the template source.
struct SourceLocation: Sendable, Hashable {
    var line: Int
    var column: Int
}

/// One lexical unit of a template: literal text between tags, tag delimiters, or an expression token inside a tag.
struct TemplateToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case text(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case eof
    }

    var kind: Kind
    var location: SourceLocation

    var describedForError: String {
        switch kind {
        case .text: return "template text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let name): return "'\(name)'"
        case .string(let value): return "string '\(value)'"
        case .integer(let value): return "integer \(value)"
        case .float(let value): return "float \(value)"
        case .op(let op): return "'\(op)'"
        case .eof: return "end of template"
        }
    }
}
