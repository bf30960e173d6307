/// Why a chat template failed to compile or render, with the place in the template source.
///
/// `kind == .raised` carries the template's own `raise_exception(msg)` text verbatim in `message`, so the api layer
/// can return it to the client as a 400 (transformers raises `TemplateError(msg)` there).
public struct ChatTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The template text is not valid Jinja.
        case syntax
        /// Valid Jinja that this interpreter does not implement (named in the message).
        case unsupported
        /// The template called `raise_exception(msg)`.
        case raised
        /// An operation failed while rendering (undefined attribute access, type mismatch, ...).
        case runtime
    }

    public var kind: Kind
    public var message: String
    /// 1-based line and column of the tag or expression being processed; 0 when unknown.
    public var line: Int
    public var column: Int

    public init(_ kind: Kind, _ message: String, line: Int = 0, column: Int = 0) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        let place = line > 0 ? " at line \(line), column \(column)" : ""
        switch kind {
        case .syntax: return "chat template syntax error\(place): \(message)"
        case .unsupported: return "chat template uses an unsupported construct\(place): \(message)"
        case .raised: return message
        case .runtime: return "chat template error\(place): \(message)"
        }
    }
}
