/// Typed metadata accessors: each throws a one-line `ModelRuntimeError` naming the file and
/// key when the key is missing or holds a different type.
extension GGUFFile {
    public func value(_ key: String) throws -> GGUFMetadataValue {
        guard let value = self.metadata[key] else {
            throw ModelRuntimeError(self.path, "missing metadata \(key)")
        }
        return value
    }

    func wrongType(_ key: String, _ value: GGUFMetadataValue, expected: String) -> ModelRuntimeError {
        ModelRuntimeError(self.path, "metadata \(key) is \(value.type), expected \(expected)")
    }

    public func string(_ key: String) throws -> String {
        let value = try self.value(key)
        guard case .string(let string) = value else { throw self.wrongType(key, value, expected: "string") }
        return string
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try self.value(key)
        guard case .bool(let bool) = value else { throw self.wrongType(key, value, expected: "bool") }
        return bool
    }

    /// An integer of any GGUF integer type, as `Int`.
    public func integer(_ key: String) throws -> Int {
        let value = try self.value(key)
        guard let integer = value.integerValue else { throw self.wrongType(key, value, expected: "an integer") }
        return integer
    }

    public func uint32(_ key: String) throws -> UInt32 {
        let value = try self.value(key)
        guard case .uint32(let integer) = value else { throw self.wrongType(key, value, expected: "uint32") }
        return integer
    }

    /// A float32 or float64 value.
    public func float(_ key: String) throws -> Double {
        let value = try self.value(key)
        guard let number = value.floatingPointValue else { throw self.wrongType(key, value, expected: "a float") }
        return number
    }

    public func array(_ key: String) throws -> [GGUFMetadataValue] {
        let value = try self.value(key)
        guard case .array(_, let elements) = value else { throw self.wrongType(key, value, expected: "an array") }
        return elements
    }

    public func stringArray(_ key: String) throws -> [String] {
        let value = try self.value(key)
        guard case .array(.string, let elements) = value else {
            throw self.wrongType(key, value, expected: "an array of strings")
        }
        return elements.map { element in
            if case .string(let string) = element { return string }
            return ""
        }
    }

    /// An array of any integer type, as `[Int]`.
    public func integerArray(_ key: String) throws -> [Int] {
        let value = try self.value(key)
        guard case .array(_, let elements) = value else { throw self.wrongType(key, value, expected: "an array of integers") }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let integer = element.integerValue else {
                throw self.wrongType(key, value, expected: "an array of integers")
            }
            result.append(integer)
        }
        return result
    }

    /// An array of float32 or float64, as `[Float]`.
    public func floatArray(_ key: String) throws -> [Float] {
        let value = try self.value(key)
        guard case .array(_, let elements) = value else { throw self.wrongType(key, value, expected: "an array of floats") }
        var result: [Float] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let number = element.floatingPointValue else {
                throw self.wrongType(key, value, expected: "an array of floats")
            }
            result.append(Float(number))
        }
        return result
    }

    /// Optional variants: nil when the key is absent, an error when it has the wrong type.
    public func optionalInteger(_ key: String) throws -> Int? {
        self.metadata[key] == nil ? nil : try self.integer(key)
    }

    public func optionalFloat(_ key: String) throws -> Double? {
        self.metadata[key] == nil ? nil : try self.float(key)
    }

    public func optionalString(_ key: String) throws -> String? {
        self.metadata[key] == nil ? nil : try self.string(key)
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        self.metadata[key] == nil ? nil : try self.bool(key)
    }
}
