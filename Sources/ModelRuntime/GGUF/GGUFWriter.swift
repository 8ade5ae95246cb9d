import DecodeKernels
import Glibc

/// Builds a GGUF file in memory: metadata in insertion order, then tensor infos, then the
/// aligned tensor data. Tests and benchmarks use it to make small random models; it is also
/// how the corrupt-file tests start from a valid file.
public struct GGUFWriter: Sendable {
    public var version: UInt32
    private var entries: [(key: String, value: GGUFMetadataValue)] = []
    private var tensors: [(name: String, dimensions: [Int], type: QuantType, data: [UInt8])] = []

    public init(version: UInt32 = 3) {
        self.version = version
    }

    /// Adds (or replaces) a metadata entry. `general.alignment` (uint32) changes the alignment.
    public mutating func set(_ key: String, _ value: GGUFMetadataValue) {
        if let index = self.entries.firstIndex(where: { $0.key == key }) {
            self.entries[index].value = value
        } else {
            self.entries.append((key, value))
        }
    }

    /// Adds a tensor; `dimensions[0]` is the innermost (ggml order), `data` its raw bytes.
    public mutating func addTensor(name: String, dimensions: [Int], type: QuantType, data: [UInt8]) {
        self.tensors.append((name, dimensions, type, data))
    }

    /// Adds an F32 tensor from floats.
    public mutating func addTensor(name: String, dimensions: [Int], values: [Float]) {
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for value in values { data.appendLittleEndian(value.bitPattern) }
        self.addTensor(name: name, dimensions: dimensions, type: .f32, data: data)
    }

    public var alignment: Int {
        if let entry = self.entries.first(where: { $0.key == "general.alignment" }),
            case .uint32(let value) = entry.value, value > 0
        {
            return Int(value)
        }
        return GGUFFile.defaultAlignment
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(GGUFFile.magic)
        out.appendLittleEndian(self.version)
        out.appendLittleEndian(UInt64(self.tensors.count))
        out.appendLittleEndian(UInt64(self.entries.count))
        for entry in self.entries {
            out.appendString(entry.key)
            out.appendLittleEndian(entry.value.type.rawValue)
            out.appendValue(entry.value)
        }
        let alignment = self.alignment
        var offset = 0
        var offsets: [Int] = []
        for tensor in self.tensors {
            offsets.append(offset)
            offset = (offset + tensor.data.count + alignment - 1) / alignment * alignment
        }
        for (tensor, offset) in zip(self.tensors, offsets) {
            out.appendString(tensor.name)
            out.appendLittleEndian(UInt32(tensor.dimensions.count))
            for dimension in tensor.dimensions { out.appendLittleEndian(UInt64(dimension)) }
            out.appendLittleEndian(tensor.type.rawValue)
            out.appendLittleEndian(UInt64(offset))
        }
        out.padToMultiple(of: alignment)
        for tensor in self.tensors {
            out.append(contentsOf: tensor.data)
            out.padToMultiple(of: alignment)
        }
        return out
    }

    /// Writes the file; errors name the path.
    public func write(to path: String) throws {
        try Self.write(self.bytes(), to: path)
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ModelRuntimeError(path, "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                guard result > 0 else {
                    throw ModelRuntimeError(path, "cannot write: \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }

    mutating func appendString(_ string: String) {
        let utf8 = Array(string.utf8)
        self.appendLittleEndian(UInt64(utf8.count))
        self.append(contentsOf: utf8)
    }

    mutating func padToMultiple(of alignment: Int) {
        let padding = (alignment - self.count % alignment) % alignment
        self.append(contentsOf: repeatElement(0, count: padding))
    }

    mutating func appendValue(_ value: GGUFMetadataValue) {
        switch value {
        case .uint8(let v): self.appendLittleEndian(v)
        case .int8(let v): self.appendLittleEndian(v)
        case .uint16(let v): self.appendLittleEndian(v)
        case .int16(let v): self.appendLittleEndian(v)
        case .uint32(let v): self.appendLittleEndian(v)
        case .int32(let v): self.appendLittleEndian(v)
        case .uint64(let v): self.appendLittleEndian(v)
        case .int64(let v): self.appendLittleEndian(v)
        case .float32(let v): self.appendLittleEndian(v.bitPattern)
        case .float64(let v): self.appendLittleEndian(v.bitPattern)
        case .bool(let v): self.append(v ? 1 : 0)
        case .string(let v): self.appendString(v)
        case .array(let elementType, let elements):
            self.appendLittleEndian(elementType.rawValue)
            self.appendLittleEndian(UInt64(elements.count))
            for element in elements { self.appendValue(element) }
        }
    }
}
