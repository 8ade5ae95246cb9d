import DecodeKernels
import ModelRuntime
import Testing

/// Each kind of damaged file gives a one-line `ModelRuntimeError` naming the file; none crashes.
@Suite struct GGUFCorruptFileTests {
    /// A small valid file: a few metadata entries (one an array) and two tensors.
    static func validBytes() -> [UInt8] {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("t.list", .array(elementType: .uint16, [.uint16(7), .uint16(8)]))
        writer.addTensor(name: "first", dimensions: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        writer.addTensor(name: "second", dimensions: [32], type: .q8_0, data: Array(repeating: 1, count: 34))
        return writer.bytes()
    }

    /// Offset of the type field of tensor `name` in `bytes` (just after its name and dims).
    static func typeFieldOffset(of name: String, dimensions: Int, in bytes: [UInt8]) -> Int? {
        let needle = Array(name.utf8)
        guard let start = (0...(bytes.count - needle.count)).first(where: { Array(bytes[$0..<($0 + needle.count)]) == needle })
        else { return nil }
        return start + needle.count + 4 + 8 * dimensions
    }

    static func expectError(_ bytes: [UInt8], containing fragment: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("corrupt.gguf")
        try GGUFWriter.write(bytes, to: path)
        do {
            _ = try GGUFFile(path: path)
            Issue.record("opened a corrupt file (expected: \(fragment))")
        } catch let error as ModelRuntimeError {
            #expect(error.source == path)
            #expect(error.problem.contains(fragment), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func everyTruncationIsAnError() throws {
        let bytes = Self.validBytes()
        let directory = try TemporaryDirectory()
        let path = directory.file("truncated.gguf")
        try GGUFWriter.write(bytes, to: path)
        let valid = try GGUFFile(path: path)
        let last = try #require(valid.tensors.last)
        // Any cut before the last tensor's final byte (trailing padding may go).
        let end = valid.dataOffset + last.offset + last.byteCount
        for length in 0..<end {
            try GGUFWriter.write(Array(bytes[0..<length]), to: path)
            #expect(throws: ModelRuntimeError.self, "prefix of \(length) bytes") { try GGUFFile(path: path) }
        }
        try Self.expectError(Array(bytes[0..<20]), containing: "truncated")
    }

    @Test func wrongMagic() throws {
        var bytes = Self.validBytes()
        bytes[0] = UInt8(ascii: "X")
        try Self.expectError(bytes, containing: "wrong magic")
    }

    @Test(arguments: [UInt32(1), 4, 0x0300_0000])
    func unknownVersion(version: UInt32) throws {
        var bytes = Self.validBytes()
        withUnsafeBytes(of: version.littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        try Self.expectError(bytes, containing: "unsupported GGUF version \(version)")
    }

    @Test(arguments: [UInt32(6), 13, 99])
    func unsupportedTensorType(code: UInt32) throws {
        var bytes = Self.validBytes()
        let offset = try #require(Self.typeFieldOffset(of: "second", dimensions: 1, in: bytes))
        withUnsafeBytes(of: code.littleEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        try Self.expectError(bytes, containing: "tensor second has unsupported type \(code)")
    }

    @Test func tensorPastTheEndOfTheFile() throws {
        var bytes = Self.validBytes()
        let offset = try #require(Self.typeFieldOffset(of: "second", dimensions: 1, in: bytes)) + 4
        withUnsafeBytes(of: UInt64(1 << 20).littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
        try Self.expectError(bytes, containing: "points past the end of the file")
        // Cutting the data section short is the same error.
        try Self.expectError(Array(Self.validBytes().dropLast(40)), containing: "points past the end of the file")
    }

    @Test func alignmentOfTheWrongType() throws {
        var writer = GGUFWriter()
        writer.set("general.alignment", .string("32"))
        try Self.expectError(writer.bytes(), containing: "general.alignment is string, expected uint32")
        writer.set("general.alignment", .uint32(24))
        try Self.expectError(writer.bytes(), containing: "not a power of two")
    }

    @Test func hostileCountsAndLengths() throws {
        // Metadata count far beyond the file.
        var bytes = Self.validBytes()
        withUnsafeBytes(of: UInt64.max.littleEndian) { bytes.replaceSubrange(16..<24, with: $0) }
        try Self.expectError(bytes, containing: "too large")
        // A key length beyond the file.
        bytes = Self.validBytes()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
        try Self.expectError(bytes, containing: "truncated")
        // An array claiming 2^40 elements.
        var writer = GGUFWriter()
        writer.set("a", .array(elementType: .uint32, [.uint32(1)]))
        bytes = writer.bytes()
        let countOffset = 24 + 8 + 1 + 4 + 4
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { bytes.replaceSubrange(countOffset..<(countOffset + 8), with: $0) }
        try Self.expectError(bytes, containing: "truncated")
        // An unknown metadata value type.
        bytes = writer.bytes()
        withUnsafeBytes(of: UInt32(77).littleEndian) { bytes.replaceSubrange(33..<37, with: $0) }
        try Self.expectError(bytes, containing: "unknown value type 77")
    }

    @Test func missingFileAndEmptyFile() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: ModelRuntimeError.self) { try GGUFFile(path: directory.file("absent.gguf")) }
        try Self.expectError([], containing: "truncated")
    }
}
