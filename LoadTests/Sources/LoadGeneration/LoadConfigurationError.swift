/// A bad option, scenario or input file: one line that says what and where.
public struct LoadConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
