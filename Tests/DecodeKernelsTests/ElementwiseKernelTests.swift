@testable import DecodeKernels
import Glibc
import Testing

@Suite struct ElementwiseKernelTests {
    @Test func rmsNormMatchesFloat64Reference() {
        var random = TestRandom(seed: 11)
        let count = 576, rows = 3
        let input = random.values(count * rows, scale: 4)
        let weight = random.values(count, scale: 2)
        var output = [Float](repeating: .nan, count: count * rows)
        rmsNorm(input, weight: weight, count: count, rows: rows, epsilon: 1e-5, output: &output)
        for row in 0..<rows {
            let x = input[(row * count)..<((row + 1) * count)].map(Double.init)
            let scale = 1 / (x.map { $0 * $0 }.reduce(0, +) / Double(count) + 1e-5).squareRoot()
            for index in 0..<count {
                let expected = x[index] * scale * Double(weight[index])
                #expect(abs(Double(output[row * count + index]) - expected) <= 1e-5 * max(1, abs(expected)))
            }
        }
    }

    @Test func rmsNormWorksInPlace() {
        var random = TestRandom(seed: 12)
        let input = random.values(100, scale: 1)
        let weight = random.values(100, scale: 1)
        var separate = [Float](repeating: 0, count: 100)
        rmsNorm(input, weight: weight, count: 100, epsilon: 1e-6, output: &separate)
        var inPlace = input
        inPlace.withUnsafeMutableBufferPointer { buffer in
            rmsNorm(buffer.baseAddress!, weight: weight, count: 100, epsilon: 1e-6, output: buffer.baseAddress!)
        }
        #expect(inPlace == separate)
    }

    /// Tabulated positions and positions past the table both match a float64 rotation of
    /// adjacent pairs by pos · base^(-2i/d).
    @Test(arguments: [0, 1, 17, 4095, 5000])
    func ropeRotatesAdjacentPairs(position: Int) {
        var random = TestRandom(seed: 13 &+ UInt64(position))
        let headDimension = 64, heads = 9
        let rope = RotaryEmbedding(headDimension: headDimension, base: 100_000, maxPositions: 4096)
        let input = random.values(headDimension * heads, scale: 3)
        var x = input
        x.withUnsafeMutableBufferPointer { rope.apply($0.baseAddress!, heads: heads, position: position) }
        for head in 0..<heads {
            for pair in 0..<(headDimension / 2) {
                let angle = Double(position) * pow(100_000.0, -2 * Double(pair) / Double(headDimension))
                let x0 = Double(input[head * headDimension + 2 * pair]), x1 = Double(input[head * headDimension + 2 * pair + 1])
                let y0 = x0 * cos(angle) - x1 * sin(angle), y1 = x0 * sin(angle) + x1 * cos(angle)
                #expect(abs(Double(x[head * headDimension + 2 * pair]) - y0) <= 1e-5 * max(1, abs(y0)))
                #expect(abs(Double(x[head * headDimension + 2 * pair + 1]) - y1) <= 1e-5 * max(1, abs(y1)))
            }
        }
        // Position 0 is the identity; any other position moves the values.
        #expect(position > 0 ? x != input : x == input)
    }

    @Test func swiGLUMatchesFloat64Reference() {
        var random = TestRandom(seed: 14)
        let gate = random.values(1536, scale: 8)
        let up = random.values(1536, scale: 2)
        var out = gate
        swiGLU(gate: &out, up: up, count: gate.count)
        for index in 0..<gate.count {
            let g = Double(gate[index])
            let expected = g / (1 + exp(-g)) * Double(up[index])
            #expect(abs(Double(out[index]) - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    /// The vector SwiGLU against the scalar reference over the whole range, the saturated
    /// ends included, with a length that leaves a tail of 5.
    @Test func swiGLUAgreesWithScalarReference() {
        var random = TestRandom(seed: 16)
        var gate = random.values(1029, scale: 30)
        gate[0] = 0
        gate[1] = 100
        gate[2] = -100
        gate[1028] = -87.5
        let up = random.values(gate.count, scale: 2)
        var fast = gate, reference = gate
        swiGLU(gate: &fast, up: up, count: gate.count)
        referenceSwiGLU(gate: &reference, up: up, count: gate.count)
        var worst: Float = 0
        for index in 0..<gate.count {
            worst = max(worst, abs(fast[index] - reference[index]) / max(abs(reference[index]), 1e-3))
        }
        #expect(worst < 1e-5, "worst relative difference \(worst)")
    }

    @Test func softmaxMatchesFloat64ReferenceWithoutOverflow() {
        var random = TestRandom(seed: 15)
        var values = random.values(1000, scale: 30)
        values[7] = 500  // e^500 overflows Float; the shift by the maximum keeps it finite.
        let input = values
        softmax(&values, count: values.count)
        let maximum = input.map(Double.init).max()!
        let exps = input.map { exp(Double($0) - maximum) }
        let total = exps.reduce(0, +)
        for index in 0..<values.count {
            #expect(abs(Double(values[index]) - exps[index] / total) <= 1e-6)
        }
        #expect(abs(values.map(Double.init).reduce(0, +) - 1) < 1e-5)
    }

    @Test func residualAddsElementwise() {
        var random = TestRandom(seed: 16)
        let residual = random.values(577, scale: 1)
        let start = random.values(577, scale: 1)
        var x = start
        addResidual(residual, into: &x, count: x.count)
        for index in 0..<x.count { #expect(x[index] == start[index] + residual[index]) }
    }
}
