/// Reads little-endian values from the mapped header, checking every read against the end
/// of the file so that a truncated or hostile file becomes an error, never a crash.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let fileName: String
    var offset: Int = 0

    var remaining: Int { self.bytes.count - self.offset }

    func truncated(_ what: String, needing count: Int) -> ModelRuntimeError {
        ModelRuntimeError(
            self.fileName,
            "truncated: \(what) needs \(count) bytes at offset \(self.offset), the file has \(self.bytes.count)"
        )
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        guard self.remaining >= size else { throw self.truncated(what, needing: size) }
        let raw = self.bytes.loadUnaligned(fromByteOffset: self.offset, as: T.self)
        self.offset += size
        return T(littleEndian: raw)
    }

    /// A u64 count or length that must fit in an `Int`.
    mutating func count(_ what: String) throws -> Int {
        let start = self.offset
        let value = try self.integer(UInt64.self, what)
        guard let count = Int(exactly: value) else {
            throw ModelRuntimeError(self.fileName, "\(what) \(value) at offset \(start) is too large")
        }
        return count
    }

    mutating func string(_ what: String) throws -> String {
        let length = try self.count("length of \(what)")
        guard self.remaining >= length else { throw self.truncated(what, needing: length) }
        let slice = UnsafeRawBufferPointer(rebasing: self.bytes[self.offset..<(self.offset + length)])
        self.offset += length
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func valueType(_ what: String) throws -> GGUFValueType {
        let start = self.offset
        let code = try self.integer(UInt32.self, what)
        guard let type = GGUFValueType(rawValue: code) else {
            throw ModelRuntimeError(self.fileName, "\(what) has unknown value type \(code) at offset \(start)")
        }
        return type
    }

    /// Arrays may nest; a hostile file could nest them deep enough to exhaust the stack.
    static let maximumArrayDepth = 8

    mutating func value(of type: GGUFValueType, _ what: String, depth: Int = 0) throws -> GGUFMetadataValue {
        switch type {
        case .uint8: return .uint8(try self.integer(UInt8.self, what))
        case .int8: return .int8(try self.integer(Int8.self, what))
        case .uint16: return .uint16(try self.integer(UInt16.self, what))
        case .int16: return .int16(try self.integer(Int16.self, what))
        case .uint32: return .uint32(try self.integer(UInt32.self, what))
        case .int32: return .int32(try self.integer(Int32.self, what))
        case .uint64: return .uint64(try self.integer(UInt64.self, what))
        case .int64: return .int64(try self.integer(Int64.self, what))
        case .float32: return .float32(Float(bitPattern: try self.integer(UInt32.self, what)))
        case .float64: return .float64(Double(bitPattern: try self.integer(UInt64.self, what)))
        case .bool:
            let start = self.offset
            let byte = try self.integer(UInt8.self, what)
            guard byte <= 1 else {
                throw ModelRuntimeError(self.fileName, "\(what) is a bool with value \(byte) at offset \(start)")
            }
            return .bool(byte == 1)
        case .string: return .string(try self.string(what))
        case .array:
            guard depth < Self.maximumArrayDepth else {
                throw ModelRuntimeError(self.fileName, "\(what) nests arrays deeper than \(Self.maximumArrayDepth)")
            }
            let elementType = try self.valueType("element type of \(what)")
            let count = try self.count("element count of \(what)")
            // Every element takes at least one byte, so a count beyond the bytes left is a
            // truncated (or hostile) file; checking first avoids reserving absurd capacity.
            let minimumSize = elementType.scalarSize ?? 8
            guard count <= self.remaining / minimumSize else {
                throw self.truncated("\(count) elements of \(what)", needing: count.multipliedReportingOverflow(by: minimumSize).partialValue)
            }
            var elements: [GGUFMetadataValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count {
                elements.append(try self.value(of: elementType, what, depth: depth + 1))
            }
            return .array(elementType: elementType, elements)
        }
    }
}
