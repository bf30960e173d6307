/// Names one engine-core behind the router, usually its `host:port` address.
///
/// The router keys everything per engine by this value: health, load, in-flight counts and the
/// prefix index slot. Two backends with the same address are the same engine.
public struct EngineID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    public static func < (lhs: EngineID, rhs: EngineID) -> Bool { lhs.rawValue < rhs.rawValue }
}
