/// A literal constant in a template expression.
enum TemplateLiteral: Sendable, Hashable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// An expression of the Jinja subset, as parsed; evaluated by `TemplateInterpreter`.
indirect enum TemplateExpression: Sendable {
    case literal(TemplateLiteral)
    case name(String, SourceLocation)
    case list([TemplateExpression])
    case tuple([TemplateExpression])
    case dict([(TemplateExpression, TemplateExpression)])
    case attribute(TemplateExpression, String)
    case item(TemplateExpression, TemplateExpression)
    case slice(TemplateExpression, start: TemplateExpression?, stop: TemplateExpression?, step: TemplateExpression?)
    case call(TemplateExpression, TemplateArguments, SourceLocation)
    case filter(TemplateExpression, name: String, TemplateArguments, SourceLocation)
    case test(TemplateExpression, name: String, TemplateArguments, negated: Bool, SourceLocation)
    case unary(String, TemplateExpression)
    case binary(String, TemplateExpression, TemplateExpression, SourceLocation)
    case compare(TemplateExpression, [(String, TemplateExpression)], SourceLocation)
    case and(TemplateExpression, TemplateExpression)
    case or(TemplateExpression, TemplateExpression)
    case not(TemplateExpression)
    case conditional(condition: TemplateExpression, then: TemplateExpression, otherwise: TemplateExpression?)
}

/// Positional and keyword arguments of a call, filter or test.
struct TemplateArguments: Sendable {
    var positional: [TemplateExpression] = []
    var keyword: [(String, TemplateExpression)] = []
}

/// The target of `set` or a `for` loop variable list.
enum AssignmentTarget: Sendable {
    case name(String)
    case names([String])
    case attribute(String, String)
}

/// A statement of the template body.
indirect enum TemplateNode: Sendable {
    case text(String)
    case output(TemplateExpression, SourceLocation)
    case ifChain([(TemplateExpression, [TemplateNode])], otherwise: [TemplateNode], SourceLocation)
    case forLoop(ForLoop)
    case set(AssignmentTarget, TemplateExpression, SourceLocation)
    case setBlock(String, [TemplateNode], SourceLocation)
    case macro(MacroDefinition)
    case breakLoop(SourceLocation)
    case continueLoop(SourceLocation)
    /// `{% generation %}…{% endgeneration %}` (transformers' assistant-mask extension): renders its body.
    case generation([TemplateNode])
}

struct ForLoop: Sendable {
    var targets: [String]
    var iterable: TemplateExpression
    var condition: TemplateExpression?
    var body: [TemplateNode]
    var otherwise: [TemplateNode]
    var location: SourceLocation
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [String]
    var defaults: [String: TemplateExpression]
    var body: [TemplateNode]
}
