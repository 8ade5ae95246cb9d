import DecodeKernels
import Testing

@Suite struct QuantTypeTests {
    @Test func blockLayoutsMatchGGML() {
        #expect(QuantType.q4_0.rowBytes(elements: 64) == 36)
        #expect(QuantType.q4_1.rowBytes(elements: 32) == 20)
        #expect(QuantType.q8_0.rowBytes(elements: 32) == 34)
        #expect(QuantType.q4_K.rowBytes(elements: 256) == 144)
        #expect(QuantType.q6_K.rowBytes(elements: 256) == 210)
        #expect(QuantType.q4_0.rowBytes(elements: 33) == nil)
    }
}
