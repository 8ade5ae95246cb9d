/// A parsed JSON document. Request bodies are decoded into this first so that every field's
/// type can be checked by hand and a wrong one reported with its name (OpenAI's `param`).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number without a fractional part that fits 64 bits.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// How the type is named in error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
