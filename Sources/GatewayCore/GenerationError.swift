/// Why an engine refused or failed a request. The API maps each case to an HTTP status.
public struct GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Codes can grow without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        private init(_ name: String) { self.name = name }

        /// 400: the prompt (plus requested tokens) does not fit the context window.
        public static let promptTooLong = Code("prompt_too_long")
        /// 400: the prompt or a parameter is unusable (invalid text, bad template input).
        public static let invalidRequest = Code("invalid_request")
        /// 429: the replica cannot take the request in time.
        public static let overloaded = Code("overloaded")
        /// 503: the replica is shutting down or not ready.
        public static let unavailable = Code("unavailable")
        /// 500: the engine failed while running the request.
        public static let internalFailure = Code("internal_failure")

        public var description: String { self.name }
    }

    public var code: Code
    public var message: String
    /// For `overloaded`: when the client should retry, in seconds.
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(self.code): \(self.message)" }
}
