/// What a request names: a model (`smollm2`, routed by the traffic weights) or an exact
/// version (`smollm2@2`).
public struct ModelReference: Sendable, Hashable, CustomStringConvertible {
    public var model: String
    public var version: String?

    public init(model: String, version: String? = nil) {
        self.model = model
        self.version = version
    }

    /// `nil` for an empty name or version.
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty else { return nil }
        self.model = String(name)
        if parts.count == 2 {
            guard !parts[1].isEmpty else { return nil }
            self.version = String(parts[1])
        }
    }

    public var description: String { self.version.map { "\(self.model)@\($0)" } ?? self.model }
}
