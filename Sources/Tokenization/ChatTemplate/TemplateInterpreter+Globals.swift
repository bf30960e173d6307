import Foundation

/// The global functions transformers' chat-template environment provides: Jinja's `range`, `namespace`, `dict`,
/// and transformers' `raise_exception(message)` and `strftime_now(format)`.
extension TemplateInterpreter {
    func globals() -> [String: TemplateValue] {
        let now = self.now
        return [
            "raise_exception": .function(
                TemplateFunction("raise_exception") { arguments in
                    throw ChatTemplateError(.raised, arguments.value(0, "message")?.str ?? "")
                }),
            "strftime_now": .function(
                TemplateFunction("strftime_now") { arguments in
                    .string(Strftime.format(arguments.value(0, "format")?.str ?? "", now))
                }),
            "namespace": .function(
                TemplateFunction("namespace") { arguments in
                    var attributes = TemplateDict()
                    if case .dict(let initial)? = arguments.positional.first {
                        for (key, value) in initial.pairs { attributes[key] = value }
                    }
                    for (key, value) in arguments.keyword { attributes[key] = value }
                    return .namespace(TemplateNamespace(attributes))
                }),
            "dict": .function(
                TemplateFunction("dict") { arguments in
                    var dict = TemplateDict()
                    if case .dict(let initial)? = arguments.positional.first {
                        for (key, value) in initial.pairs { dict[key] = value }
                    }
                    for (key, value) in arguments.keyword { dict[key] = value }
                    return .dict(dict)
                }),
            "range": .function(
                TemplateFunction("range") { arguments in
                    let bounds = arguments.positional.compactMap(\.integer)
                    guard bounds.count == arguments.positional.count, (1...3).contains(bounds.count) else {
                        throw Python.typeError("range expects 1 to 3 integer arguments")
                    }
                    let start = bounds.count == 1 ? 0 : bounds[0]
                    let stop = bounds.count == 1 ? bounds[0] : bounds[1]
                    let step = bounds.count == 3 ? bounds[2] : 1
                    guard step != 0 else { throw Python.typeError("range() arg 3 must not be zero") }
                    guard (stop - start) / step <= 100_000 else {
                        throw ChatTemplateError(.runtime, "range too big (the sandbox allows 100000 items)")
                    }
                    return .list(Array(stride(from: start, to: stop, by: step)).map(TemplateValue.int))
                }),
        ]
    }
}
