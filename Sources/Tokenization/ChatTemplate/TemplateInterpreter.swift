import Foundation

/// Renders a parsed template against one set of variables; one instance per render call.
///
/// Scoping follows Jinja: each `for` iteration and each macro call gets a fresh scope, so a `set` inside a loop is
/// invisible after it (templates use `namespace()` to carry state out); `if` blocks share the enclosing scope.
final class TemplateInterpreter {
    private enum LoopControl: Error {
        case breakLoop
        case continueLoop
    }

    /// Nested macro calls allowed before rendering fails (Python raises RecursionError for runaway recursion,
    /// e.g. Hermes' `json_to_python_type` on a `["integer", "null"]` type); keeps the Swift stack bounded.
    static let maxMacroDepth = 64

    private var scopes: [[String: TemplateValue]]
    private var macroDepth = 0
    let now: Date

    init(variables: [String: TemplateValue], now: Date) {
        self.now = now
        self.scopes = []
        self.scopes = [globals(), variables]
    }

    func render(_ nodes: [TemplateNode]) throws -> String {
        var output = ""
        try render(nodes, into: &output)
        return output
    }

    // MARK: - Scopes

    func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined(hint: "'\(name)' is undefined")
    }

    func assign(_ name: String, _ value: TemplateValue) {
        scopes[scopes.count - 1][name] = value
    }

    private func withScope<T>(_ scope: [String: TemplateValue], _ body: () throws -> T) rethrows -> T {
        scopes.append(scope)
        defer { scopes.removeLast() }
        return try body()
    }

    // MARK: - Statements

    private func render(_ nodes: [TemplateNode], into output: inout String) throws {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression, let location):
                try located(location) {
                    let value = try evaluate(expression)
                    if case .iterator(let iterator) = value, iterator.isGenerator {
                        throw ChatTemplateError(
                            .unsupported, "printing a \(iterator.typeName) (Python prints its memory address)")
                    }
                    output += value.str
                }
            case .ifChain(let branches, let otherwise, let location):
                var taken: [TemplateNode] = otherwise
                for (condition, body) in branches {
                    if try located(location, { try evaluate(condition).isTruthy }) {
                        taken = body
                        break
                    }
                }
                try render(taken, into: &output)
            case .forLoop(let loop):
                try renderFor(loop, into: &output)
            case .set(let target, let expression, let location):
                try located(location) { try assign(target, try evaluate(expression)) }
            case .setBlock(let name, let body, _):
                var captured = ""
                try withScope([:]) { try render(body, into: &captured) }
                assign(name, .string(captured))
            case .macro(let definition):
                assign(definition.name, .function(makeMacro(definition)))
            case .breakLoop:
                throw LoopControl.breakLoop
            case .continueLoop:
                throw LoopControl.continueLoop
            case .generation(let body):
                try render(body, into: &output)
            }
        }
    }

    /// Runs `body`, stamping `location` onto errors that do not carry one yet.
    func located<T>(_ location: SourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as ChatTemplateError where error.line == 0 {
            error.line = location.line
            error.column = location.column
            throw error
        }
    }

    private func assign(_ target: AssignmentTarget, _ value: TemplateValue) throws {
        switch target {
        case .name(let name):
            assign(name, value)
        case .names(let names):
            let items = try unpack(value, count: names.count)
            for (name, item) in zip(names, items) { assign(name, item) }
        case .attribute(let name, let attribute):
            guard case .namespace(let namespace) = lookup(name) else {
                throw ChatTemplateError(.runtime, "can only set attributes on a namespace, '\(name)' is not one")
            }
            namespace.attributes[attribute] = value
        }
    }

    private func unpack(_ value: TemplateValue, count: Int) throws -> [TemplateValue] {
        let items = try Python.iterate(value)
        guard items.count == count else {
            throw ChatTemplateError(
                .runtime,
                items.count > count
                    ? "too many values to unpack (expected \(count))"
                    : "not enough values to unpack (expected \(count), got \(items.count))")
        }
        return items
    }

    private func bind(_ targets: [String], _ item: TemplateValue, into scope: inout [String: TemplateValue]) throws {
        if targets.count == 1 {
            scope[targets[0]] = item
        } else {
            for (name, value) in zip(targets, try unpack(item, count: targets.count)) { scope[name] = value }
        }
    }

    private func renderFor(_ loop: ForLoop, into output: inout String) throws {
        var items = try located(loop.location) { try Python.iterate(try evaluate(loop.iterable)) }
        if let condition = loop.condition {
            items = try items.filter { item in
                var scope: [String: TemplateValue] = [:]
                try bind(loop.targets, item, into: &scope)
                return try withScope(scope) { try located(loop.location) { try evaluate(condition).isTruthy } }
            }
        }
        // NOTE: Jinja runs the `else` block unless some iteration reached the end of the body, so a loop whose
        // every iteration ends in `break` or `continue` also renders it.
        var completedIteration = false
        for (index, item) in items.enumerated() {
            var scope: [String: TemplateValue] = ["loop": .loop(TemplateLoopContext(index: index, items: items))]
            try located(loop.location) { try bind(loop.targets, item, into: &scope) }
            do {
                try withScope(scope) { try render(loop.body, into: &output) }
                completedIteration = true
            } catch LoopControl.breakLoop {
                break
            } catch LoopControl.continueLoop {
                continue
            }
        }
        if !completedIteration { try render(loop.otherwise, into: &output) }
    }

    private func makeMacro(_ definition: MacroDefinition) -> TemplateFunction {
        TemplateFunction(definition.name) { [unowned self] arguments in
            guard arguments.positional.count <= definition.parameters.count else {
                throw ChatTemplateError(
                    .runtime,
                    "macro '\(definition.name)' takes not more than "
                        + "\(definition.parameters.count) argument(s)")
            }
            var scope: [String: TemplateValue] = [:]
            for (position, parameter) in definition.parameters.enumerated() {
                if let value = arguments.value(position, parameter) {
                    scope[parameter] = value
                } else if let fallback = definition.defaults[parameter] {
                    scope[parameter] = try evaluate(fallback)
                } else {
                    scope[parameter] = .undefined(hint: "parameter '\(parameter)' was not provided")
                }
            }
            for (name, _) in arguments.keyword where !definition.parameters.contains(name) {
                throw ChatTemplateError(.runtime, "macro '\(definition.name)' has no parameter named '\(name)'")
            }
            guard macroDepth < Self.maxMacroDepth else {
                throw ChatTemplateError(.runtime, "maximum macro recursion depth (\(Self.maxMacroDepth)) exceeded")
            }
            let saved = scopes
            scopes = [scopes[0], scopes[1], scope]
            macroDepth += 1
            defer {
                scopes = saved
                macroDepth -= 1
            }
            var output = ""
            try render(definition.body, into: &output)
            return .string(output)
        }
    }
}
