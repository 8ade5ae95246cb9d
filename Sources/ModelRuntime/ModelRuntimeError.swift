/// A one-line, user-facing error from loading or running a model: which file (or input)
/// and what is wrong with it.
public struct ModelRuntimeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var problem: String

    public init(_ source: String, _ problem: String) {
        self.source = source
        self.problem = problem
    }

    public var description: String { "\(self.source): \(self.problem)" }
}
