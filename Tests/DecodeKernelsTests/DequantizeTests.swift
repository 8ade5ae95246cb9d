@testable import DecodeKernels
import Testing

@Suite struct DequantizeTests {
    /// Worst-case rounding error of one value in a block, from the format's step size.
    static func tolerance(_ type: QuantType, blockAbsMax: Float) -> Float {
        switch type {
        case .f32: return 0
        case .f16: return blockAbsMax * 1e-3
        case .q8_0: return blockAbsMax / 127 * 0.51 + blockAbsMax * 1e-3
        // Q4_0 maps the extreme to -8, so the opposite end clamps at +7: up to one step, absmax/8.
        case .q4_0: return blockAbsMax / 8 * 1.01 + blockAbsMax * 2e-3
        // Q4_1: 16 levels over the block's range (at most 2·absmax), half a step.
        case .q4_1: return blockAbsMax * 2 / 15 * 0.51 + blockAbsMax * 2e-3
        // K formats: 6-bit (Q4_K) / 8-bit (Q6_K) sub-scales add their own rounding.
        case .q4_K: return blockAbsMax * 2 / 15 * 0.8 + blockAbsMax * 0.05
        case .q6_K: return blockAbsMax / 31 * 0.8 + blockAbsMax * 0.02
        }
    }

    @Test(arguments: QuantType.allCases)
    func roundTripStaysWithinTheFormatsStep(type: QuantType) throws {
        var random = TestRandom(seed: 0x51 &+ UInt64(type.rawValue))
        let count = 1024
        let values = random.values(count, scale: 3)
        let bytes = try #require(type.rowBytes(elements: count))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { packed.deallocate() }
        let restored = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { restored.deallocate() }
        values.withUnsafeBufferPointer { quantizeRow(type, $0.baseAddress!, count: count, into: packed) }
        dequantizeRow(type, packed, count: count, into: restored)
        let block = max(type.blockSize, 32)
        var worst: Float = 0
        for start in stride(from: 0, to: count, by: block) {
            let absMax = values[start..<(start + block)].map(abs).max() ?? 0
            let limit = Self.tolerance(type, blockAbsMax: absMax)
            for index in start..<(start + block) {
                let error = abs(restored[index] - values[index])
                worst = max(worst, error / max(absMax, 1e-9))
                #expect(error <= limit, "\(type) index \(index): \(restored[index]) vs \(values[index])")
            }
        }
        // The round trip changed something only where the format is lossy.
        if type == .f32 { #expect(worst == 0) } else { #expect(worst > 0) }
    }

    /// Hand-built blocks decode to the values ggml's layouts define.
    @Test func decodesHandBuiltBlocks() {
        var q4_1 = [UInt8](repeating: 0, count: 20)
        q4_1[0] = 0x00; q4_1[1] = 0x40  // d = 2.0 (fp16 0x4000)
        q4_1[2] = 0x00; q4_1[3] = 0xBC  // m = -1.0 (fp16 0xBC00)
        q4_1[4] = 0x53  // value 0 = low nibble 3, value 16 = high nibble 5
        var q8_0 = [UInt8](repeating: 0, count: 34)
        q8_0[0] = 0x00; q8_0[1] = 0x38  // d = 0.5
        q8_0[2] = UInt8(bitPattern: -6)
        var q4_0 = [UInt8](repeating: 0x88, count: 18)
        q4_0[0] = 0x00; q4_0[1] = 0x3C  // d = 1.0
        q4_0[2] = 0x1F  // value 0 = 15 - 8 = 7, value 16 = 1 - 8 = -7
        var out = [Float](repeating: 0, count: 32)
        q4_1.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { dequantizeRow(.q4_1, raw.baseAddress!, count: 32, into: $0.baseAddress!) } }
        #expect(out[0] == 5 && out[16] == 9 && out[1] == -1)
        q8_0.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { dequantizeRow(.q8_0, raw.baseAddress!, count: 32, into: $0.baseAddress!) } }
        #expect(out[0] == -3 && out[1] == 0)
        q4_0.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { dequantizeRow(.q4_0, raw.baseAddress!, count: 32, into: $0.baseAddress!) } }
        #expect(out[0] == 7 && out[16] == -7 && out[1] == 0)
    }

    @Test func float16ConvertsExactlyRepresentableValues() {
        var bits = [UInt8](repeating: 0, count: 8)
        bits.withUnsafeMutableBytes { raw in
            storeHalf(1.5, raw.baseAddress!, 0)
            storeHalf(-65504, raw.baseAddress!, 2)
            storeHalf(6.1035156e-05, raw.baseAddress!, 4)
        }
        #expect(bits[0] == 0x00 && bits[1] == 0x3E)
        bits.withUnsafeBytes { raw in
            #expect(loadHalf(raw.baseAddress!, 0) == 1.5)
            #expect(loadHalf(raw.baseAddress!, 2) == -65504)
            #expect(loadHalf(raw.baseAddress!, 4) == 6.1035156e-05)
        }
    }
}
