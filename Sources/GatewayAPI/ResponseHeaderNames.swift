import HTTPTypes

extension HTTPField.Name {
    /// Echoed or generated on every response.
    public static let requestID = HTTPField.Name("x-request-id")!
    /// The model version that served the response.
    public static let modelVersion = HTTPField.Name("x-switchyard-model-version")!
}
