/// Why the registry refused an operation. The admin API maps each code to a status.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        private init(_ name: String) { self.name = name }

        /// 404: no such model or version.
        public static let notFound = Code("not_found")
        /// 409: another lifecycle operation on the model is running, or the state forbids it.
        public static let conflict = Code("conflict")
        /// 400: a bad argument (weight outside 0...1, replica count).
        public static let invalidArgument = Code("invalid_argument")
        /// 422: the version's files are unusable (missing weights, sha256 mismatch, bad manifest).
        public static let unusableFiles = Code("unusable_files")
        /// 422: validation refused the version.
        public static let validationFailed = Code("validation_failed")
        /// 507: the devices have no room for the version's replicas.
        public static let insufficientMemory = Code("insufficient_memory")
        /// 500: persisting the state failed.
        public static let storage = Code("storage")

        public var description: String { self.name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
