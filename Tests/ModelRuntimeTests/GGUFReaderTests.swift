import DecodeKernels
import ModelRuntime
import Testing

@Suite struct GGUFReaderTests {
    static let everyType: [(String, GGUFMetadataValue)] = [
        ("t.u8", .uint8(200)), ("t.i8", .int8(-100)),
        ("t.u16", .uint16(60_000)), ("t.i16", .int16(-30_000)),
        ("t.u32", .uint32(4_000_000_000)), ("t.i32", .int32(-2_000_000_000)),
        ("t.u64", .uint64(18_000_000_000_000_000_000)), ("t.i64", .int64(-9_000_000_000_000_000_000)),
        ("t.f32", .float32(3.25)), ("t.f64", .float64(-1.0e300)),
        ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.string", .string("héllo ✓ wörld")), ("t.empty", .string("")),
        ("t.ints", .array(elementType: .int32, [.int32(1), .int32(-2), .int32(3)])),
        ("t.strings", .array(elementType: .string, [.string("a"), .string(""), .string("ĠParis")])),
        ("t.none", .array(elementType: .float32, [])),
        (
            "t.nested",
            .array(
                elementType: .array,
                [
                    .array(elementType: .uint8, [.uint8(1), .uint8(2)]),
                    .array(elementType: .bool, [.bool(true)]),
                ])
        ),
    ]

    @Test(arguments: [UInt32(2), 3])
    func roundTripsEveryMetadataTypeAndTensor(version: UInt32) throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter(version: version)
        for (key, value) in Self.everyType { writer.set(key, value) }
        let matrix: [Float] = (0..<24).map { Float($0) * 0.5 - 3 }
        writer.addTensor(name: "m", dimensions: [8, 3], values: matrix)
        let halfBytes: [UInt8] = (0..<64).map { UInt8($0 * 3 & 0xFF) }
        writer.addTensor(name: "h", dimensions: [32], type: .f16, data: halfBytes)
        let path = directory.file("round-trip.gguf")
        try writer.write(to: path)

        let file = try GGUFFile(path: path)
        #expect(file.version == version)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.metadataKeys == Self.everyType.map(\.0))
        for (key, value) in Self.everyType {
            #expect(try file.value(key) == value, "\(key)")
        }
        #expect(try file.integer("t.u16") == 60_000)
        #expect(try file.integer("t.i64") == -9_000_000_000_000_000_000)
        #expect(try file.float("t.f32") == 3.25)
        #expect(try file.bool("t.true"))
        #expect(try file.string("t.string") == "héllo ✓ wörld")
        #expect(try file.stringArray("t.strings") == ["a", "", "ĠParis"])
        #expect(try file.integerArray("t.ints") == [1, -2, 3])
        #expect(try file.floatArray("t.none") == [])

        #expect(file.tensors.map(\.name) == ["m", "h"])
        let m = try #require(file.tensorInfo("m"))
        #expect(m.dimensions == [8, 3] && m.columns == 8 && m.rows == 3 && m.type == .f32)
        #expect(m.byteCount == 96)
        let mData = try file.tensorData("m")
        let floats = (0..<24).map { mData.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        #expect(floats == matrix)
        let h = try #require(file.tensorInfo("h"))
        #expect(h.offset % 32 == 0 && h.type == .f16)
        #expect(Array(try file.tensorData("h")) == halfBytes)
    }

    @Test func honoursGeneralAlignment() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        writer.set("general.alignment", .uint32(64))
        writer.addTensor(name: "a", dimensions: [3], values: [1, 2, 3])
        writer.addTensor(name: "b", dimensions: [5], values: [4, 5, 6, 7, 8])
        let path = directory.file("aligned.gguf")
        try writer.write(to: path)
        let file = try GGUFFile(path: path)
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(try #require(file.tensorInfo("b")).offset == 64)
        let b = try file.tensorData("b")
        #expect(b.loadUnaligned(fromByteOffset: 16, as: Float.self) == 8)
    }

    @Test func typedAccessorsRejectMissingKeysAndWrongTypes() throws {
        let directory = try TemporaryDirectory()
        var writer = GGUFWriter()
        for (key, value) in Self.everyType { writer.set(key, value) }
        let path = directory.file("types.gguf")
        try writer.write(to: path)
        let file = try GGUFFile(path: path)

        #expect(throws: ModelRuntimeError(path, "missing metadata llama.block_count")) {
            try file.integer("llama.block_count")
        }
        #expect(throws: ModelRuntimeError(path, "metadata t.string is string, expected an integer")) {
            try file.integer("t.string")
        }
        #expect(throws: ModelRuntimeError(path, "metadata t.f32 is float32, expected string")) {
            try file.string("t.f32")
        }
        #expect(throws: ModelRuntimeError.self) { try file.float("t.u32") }
        #expect(throws: ModelRuntimeError.self) { try file.bool("t.u8") }
        #expect(throws: ModelRuntimeError.self) { try file.stringArray("t.ints") }
        #expect(throws: ModelRuntimeError.self) { try file.integerArray("t.strings") }
        #expect(throws: ModelRuntimeError.self) { try file.uint32("t.i32") }
        #expect(try file.optionalInteger("absent") == nil)
        #expect(throws: ModelRuntimeError.self) { try file.optionalFloat("t.string") }
    }

    @Test func readsTheRealModelHeader() throws {
        let file = try GGUFFile(path: RealModel.path)
        #expect(try file.string("general.architecture") == "llama")
        #expect(try file.integer("llama.block_count") == 30)
        #expect(try file.integer("llama.embedding_length") == 576)
        #expect(try file.stringArray("tokenizer.ggml.tokens").count == 49152)
        let embedding = try #require(file.tensorInfo("token_embd.weight"))
        #expect(embedding.dimensions == [576, 49152])
        #expect(file.tensors.allSatisfy { file.dataOffset + $0.offset + $0.byteCount <= file.bytes.count })
    }
}
