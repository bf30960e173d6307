/// A Python generator or dict view, as Jinja's `select`, `reject`, `map`, `unique`, `items` and `reverse` filters
/// and `dict.items()/keys()/values()` return them.
///
/// Generators are lazy and single-use, always truthy, have no `len()`, and cannot be subscripted; their output
/// would contain a memory address, so printing one fails as unsupported. Views are re-iterable, sized and
/// print as `dict_items([...])`.
final class TemplateIterator {
    enum Kind {
        /// A generator; the name is Python's type name (`generator`, `list_reverseiterator`).
        case generator(String)
        /// `dict_items`, `dict_keys` or `dict_values`.
        case view(String)
    }

    let kind: Kind
    private var produce: (() throws -> [TemplateValue])?
    private var consumed = false

    init(_ kind: Kind, _ produce: @escaping () throws -> [TemplateValue]) {
        self.kind = kind
        self.produce = produce
    }

    var isGenerator: Bool {
        if case .generator = kind { return true }
        return false
    }

    var typeName: String {
        switch kind {
        case .generator(let name), .view(let name): return name
        }
    }

    /// The elements; a generator yields them once and is empty afterwards.
    func items() throws -> [TemplateValue] {
        switch kind {
        case .view: return try produce?() ?? []
        case .generator:
            guard !consumed, let produce else { return [] }
            consumed = true
            return try produce()
        }
    }

    var isTruthy: Bool {
        if isGenerator { return true }
        return !((try? items()) ?? []).isEmpty
    }

    var repr: String {
        switch kind {
        case .generator(let name): return "<\(name) object>"
        case .view(let name): return name + "(" + TemplateValue.list((try? items()) ?? []).repr(depth: 1) + ")"
        }
    }
}
