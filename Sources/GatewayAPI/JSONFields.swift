/// Typed, strict access to one JSON object's fields. A field that is absent or `null` reads as
/// `nil`; one of the wrong type throws an `APIError` naming it (`param`).
struct JSONFields {
    let object: JSONObject
    /// The path of this object inside the request (`messages[0]`), for error messages.
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    func param(_ key: String) -> String {
        self.path.isEmpty ? key : "\(self.path).\(key)"
    }

    func value(_ key: String) -> JSONValue? {
        switch self.object[key] {
        case .none, .null?: return nil
        case let value?: return value
        }
    }

    func string(_ key: String) throws -> String? {
        guard let value = self.value(key) else { return nil }
        guard case .string(let string) = value else {
            throw APIError.invalidType(self.param(key), expected: "a string", got: value)
        }
        return string
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = self.value(key) else { return nil }
        guard case .bool(let bool) = value else {
            throw APIError.invalidType(self.param(key), expected: "a boolean", got: value)
        }
        return bool
    }

    func integer(_ key: String) throws -> Int64? {
        guard let value = self.value(key) else { return nil }
        guard case .integer(let integer) = value else {
            throw APIError.invalidType(self.param(key), expected: "an integer", got: value)
        }
        return integer
    }

    func number(_ key: String) throws -> Double? {
        switch self.value(key) {
        case nil: return nil
        case .integer(let integer)?: return Double(integer)
        case .number(let number)?: return number
        case let value?: throw APIError.invalidType(self.param(key), expected: "a number", got: value)
        }
    }

    func object(_ key: String) throws -> JSONFields? {
        guard let value = self.value(key) else { return nil }
        guard case .object(let object) = value else {
            throw APIError.invalidType(self.param(key), expected: "an object", got: value)
        }
        return JSONFields(object, path: self.param(key))
    }

    /// An integer within `range`, or a 400 that names the field and the range.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws -> Int? {
        guard let integer = try self.integer(key) else { return nil }
        guard range.contains(integer) else {
            let bound = range.upperBound == .max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw APIError.invalidRequest(
                "Invalid '\(self.param(key))': expected an integer \(bound), but got \(integer).", param: self.param(key)
            )
        }
        return Int(integer)
    }

    /// A number within `range` (excluding the lower bound when `lowerOpen`), as a `Float`.
    func number(_ key: String, in range: ClosedRange<Double>, lowerOpen: Bool = false) throws -> Float? {
        guard let number = try self.number(key) else { return nil }
        guard range.contains(number), !(lowerOpen && number == range.lowerBound) else {
            let lower = lowerOpen ? "above \(range.lowerBound)" : "at least \(range.lowerBound)"
            throw APIError.invalidRequest(
                "Invalid '\(self.param(key))': expected a number \(lower) and at most \(range.upperBound), but got \(number).",
                param: self.param(key)
            )
        }
        return Float(number)
    }
}
