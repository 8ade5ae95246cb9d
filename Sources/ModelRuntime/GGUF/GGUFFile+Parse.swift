import DecodeKernels

extension GGUFFile {
    struct Header {
        var version: UInt32
        var keys: [String]
        var metadata: [String: GGUFMetadataValue]
        var tensors: [GGUFTensorInfo]
        var tensorIndex: [String: Int]
        var alignment: Int
        var dataOffset: Int
    }

    /// ggml caps a tensor at 4 dimensions; a larger count is a corrupt header.
    static let maximumDimensions = 4

    static func parse(_ bytes: UnsafeRawBufferPointer, fileName: String) throws -> Header {
        var cursor = GGUFCursor(bytes: bytes, fileName: fileName)
        let magic = try cursor.integer(UInt32.self, "magic")
        guard magic == Self.magic else {
            throw ModelRuntimeError(fileName, "wrong magic 0x\(hex(magic)) (not a GGUF file)")
        }
        let version = try cursor.integer(UInt32.self, "version")
        guard Self.supportedVersions.contains(version) else {
            throw ModelRuntimeError(fileName, "unsupported GGUF version \(version) (supported: 2 and 3)")
        }
        let tensorCount = try cursor.count("tensor count")
        let metadataCount = try cursor.count("metadata count")

        var keys: [String] = []
        var metadata: [String: GGUFMetadataValue] = [:]
        // Each entry takes at least 12 bytes (key length + type): bound the loop by the file.
        guard metadataCount <= cursor.remaining / 12 else {
            throw cursor.truncated("\(metadataCount) metadata entries", needing: metadataCount &* 12)
        }
        for index in 0..<metadataCount {
            let key = try cursor.string("key of metadata entry \(index)")
            let type = try cursor.valueType("metadata \(key)")
            let value = try cursor.value(of: type, "metadata \(key)")
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw ModelRuntimeError(fileName, "duplicate metadata key \(key)")
            }
            keys.append(key)
        }

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard case .uint32(let raw) = value else {
                throw ModelRuntimeError(fileName, "metadata general.alignment is \(value.type), expected uint32")
            }
            guard raw > 0, raw & (raw - 1) == 0 else {
                throw ModelRuntimeError(fileName, "general.alignment \(raw) is not a power of two")
            }
            alignment = Int(raw)
        }

        // Each tensor info takes at least 8 + 4 + 4 + 8 bytes.
        guard tensorCount <= cursor.remaining / 24 else {
            throw cursor.truncated("\(tensorCount) tensor infos", needing: tensorCount &* 24)
        }
        var pending: [(name: String, dimensions: [Int], type: QuantType, offset: Int)] = []
        pending.reserveCapacity(tensorCount)
        var tensorIndex: [String: Int] = [:]
        for index in 0..<tensorCount {
            let name = try cursor.string("name of tensor \(index)")
            let dimensionCount = Int(try cursor.integer(UInt32.self, "dimension count of tensor \(name)"))
            guard (1...Self.maximumDimensions).contains(dimensionCount) else {
                throw ModelRuntimeError(fileName, "tensor \(name) has \(dimensionCount) dimensions (1 to 4 allowed)")
            }
            var dimensions: [Int] = []
            for _ in 0..<dimensionCount {
                let dimension = try cursor.count("dimension of tensor \(name)")
                guard dimension > 0 else {
                    throw ModelRuntimeError(fileName, "tensor \(name) has a zero dimension")
                }
                dimensions.append(dimension)
            }
            let typeCode = try cursor.integer(UInt32.self, "type of tensor \(name)")
            guard let type = QuantType(rawValue: typeCode) else {
                throw ModelRuntimeError(fileName, "tensor \(name) has unsupported type \(typeCode)")
            }
            let offset = try cursor.count("offset of tensor \(name)")
            guard offset % alignment == 0 else {
                throw ModelRuntimeError(fileName, "tensor \(name) offset \(offset) is not a multiple of the alignment \(alignment)")
            }
            guard tensorIndex.updateValue(index, forKey: name) == nil else {
                throw ModelRuntimeError(fileName, "duplicate tensor \(name)")
            }
            pending.append((name, dimensions, type, offset))
        }

        // The data section starts at the next multiple of the alignment.
        let (padded, overflow) = cursor.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw ModelRuntimeError(fileName, "header too large") }
        let dataOffset = padded / alignment * alignment
        let dataSize = max(0, bytes.count - dataOffset)

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for entry in pending {
            var elements = 1
            for dimension in entry.dimensions {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw ModelRuntimeError(fileName, "tensor \(entry.name) is too large") }
                elements = product
            }
            guard let rowBytes = entry.type.rowBytes(elements: entry.dimensions[0]) else {
                throw ModelRuntimeError(
                    fileName,
                    "tensor \(entry.name) row of \(entry.dimensions[0]) is not a multiple of \(entry.type)'s block of \(entry.type.blockSize)"
                )
            }
            let (byteCount, overflow) = rowBytes.multipliedReportingOverflow(by: elements / entry.dimensions[0])
            guard !overflow else { throw ModelRuntimeError(fileName, "tensor \(entry.name) is too large") }
            guard entry.offset <= dataSize, byteCount <= dataSize - entry.offset else {
                throw ModelRuntimeError(
                    fileName,
                    "tensor \(entry.name) (\(byteCount) bytes at data offset \(entry.offset)) points past the end of the file (data section has \(dataSize) bytes)"
                )
            }
            tensors.append(
                GGUFTensorInfo(
                    name: entry.name, dimensions: entry.dimensions, type: entry.type,
                    offset: entry.offset, byteCount: byteCount))
        }
        return Header(
            version: version, keys: keys, metadata: metadata, tensors: tensors,
            tensorIndex: tensorIndex, alignment: alignment, dataOffset: dataOffset)
    }
}

func hex<T: FixedWidthInteger>(_ value: T) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, MemoryLayout<T>.size * 2 - digits.count)) + digits
}
