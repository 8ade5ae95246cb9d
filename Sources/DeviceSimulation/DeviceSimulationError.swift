/// A one-line, human-readable failure from placement, the ledger or the catalog. The code
/// lets callers branch (and tests assert) without matching on the text.
public struct DeviceSimulationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Open set of failure kinds, a struct so that codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public static let unknownProfile = Code(name: "unknownProfile")
        public static let invalidSpecification = Code(name: "invalidSpecification")
        public static let tensorParallelTooLarge = Code(name: "tensorParallelTooLarge")
        public static let tensorParallelIndivisible = Code(name: "tensorParallelIndivisible")
        public static let modelLargerThanDevice = Code(name: "modelLargerThanDevice")
        public static let insufficientMemory = Code(name: "insufficientMemory")
        public static let overCommit = Code(name: "overCommit")
        public static let duplicateReplica = Code(name: "duplicateReplica")
        public static let unknownReplica = Code(name: "unknownReplica")
        public var description: String { self.name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
