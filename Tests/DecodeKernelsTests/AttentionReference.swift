import DecodeKernels
import Glibc

/// A small deterministic generator (SplitMix64), so random test data is the same every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextFloat(in range: ClosedRange<Float>) -> Float {
        Float.random(in: range, using: &self)
    }
}

/// Attention in float64, straight from the definition: softmax(q·k / sqrt(d)) · V over the
/// visible positions, query head h reading KV head h / group. `keys` and `values` are
/// [position][kvHead][dim] flattened.
func referenceAttention(
    query: ArraySlice<Float>, keys: [Float], values: [Float], visible: Int,
    queryHeads: Int, kvHeads: Int, headDim: Int
) -> [Double] {
    let group = queryHeads / kvHeads
    var output = [Double](repeating: 0, count: queryHeads * headDim)
    let base = query.startIndex
    for head in 0..<queryHeads {
        let kvHead = head / group
        var scores = [Double](repeating: 0, count: visible)
        for position in 0..<visible {
            var dot = 0.0
            for d in 0..<headDim {
                dot += Double(query[base + head * headDim + d])
                    * Double(keys[(position * kvHeads + kvHead) * headDim + d])
            }
            scores[position] = dot / Double(headDim).squareRoot()
        }
        let maximum = scores.max() ?? 0
        let weights = scores.map { exp($0 - maximum) }
        let total = weights.reduce(0, +)
        for position in 0..<visible {
            for d in 0..<headDim {
                output[head * headDim + d] +=
                    weights[position] / total * Double(values[(position * kvHeads + kvHead) * headDim + d])
            }
        }
    }
    return output
}
