import DecodeKernels
import Foundation
import ModelRuntime

/// A plain float64 Llama forward over one sequence, written the textbook way (every weight
/// dequantized, every position recomputed, no cache, no batching), to check the runtime's
/// arithmetic on tiny models.
struct ReferenceLlama {
    let configuration: LlamaConfiguration
    let weights: [String: [Double]]
    let tiedOutput: Bool

    init(model: LlamaModel) throws {
        self.configuration = model.configuration
        var weights: [String: [Double]] = [:]
        for info in model.file.tensors {
            let data = model.file.tensorData(info)
            var row = [Float](repeating: 0, count: info.columns)
            var values: [Double] = []
            let rowBytes = info.type.rowBytes(elements: info.columns) ?? 0
            for index in 0..<info.rows {
                row.withUnsafeMutableBufferPointer {
                    dequantizeRow(info.type, data.baseAddress! + index * rowBytes, count: info.columns, into: $0.baseAddress!)
                }
                values += row.map(Double.init)
            }
            weights[info.name] = values
        }
        self.weights = weights
        self.tiedOutput = weights["output.weight"] == nil
    }

    func matvec(_ name: String, _ x: [Double], rows: Int) -> [Double] {
        let w = self.weights[name]!
        let columns = x.count
        return (0..<rows).map { r in (0..<columns).reduce(0.0) { $0 + w[r * columns + $1] * x[$1] } }
    }

    func norm(_ x: [Double], _ name: String) -> [Double] {
        let w = self.weights[name]!
        let mean = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
        let scale = 1 / (mean + Double(self.configuration.rmsNormEpsilon)).squareRoot()
        return x.indices.map { x[$0] * scale * w[$0] }
    }

    func rope(_ x: inout [Double], heads: Int, position: Int) {
        let c = self.configuration
        for head in 0..<heads {
            for pair in 0..<(c.headDimension / 2) {
                let theta = Double(position) * pow(Double(c.ropeFrequencyBase), -Double(2 * pair) / Double(c.headDimension))
                let i = head * c.headDimension + 2 * pair
                let (a, b) = (x[i], x[i + 1])
                x[i] = a * cos(theta) - b * sin(theta)
                x[i + 1] = a * sin(theta) + b * cos(theta)
            }
        }
    }

    /// Next-token logits after every position of `tokens`.
    func logits(_ tokens: [Int32]) -> [[Double]] {
        let c = self.configuration
        let d = c.embeddingLength
        let embedding = self.weights["token_embd.weight"]!
        var keys = [[[Double]]](repeating: [], count: c.blockCount)
        var values = [[[Double]]](repeating: [], count: c.blockCount)
        var result: [[Double]] = []
        for (position, token) in tokens.enumerated() {
            var x = Array(embedding[(Int(token) * d)..<(Int(token) * d + d)])
            for layer in 0..<c.blockCount {
                let p = "blk.\(layer)."
                let h = self.norm(x, p + "attn_norm.weight")
                var q = self.matvec(p + "attn_q.weight", h, rows: c.queryLength)
                var k = self.matvec(p + "attn_k.weight", h, rows: c.kvLength)
                let v = self.matvec(p + "attn_v.weight", h, rows: c.kvLength)
                self.rope(&q, heads: c.headCount, position: position)
                self.rope(&k, heads: c.kvHeadCount, position: position)
                keys[layer].append(k)
                values[layer].append(v)
                var attention = [Double](repeating: 0, count: c.queryLength)
                let group = c.headCount / c.kvHeadCount
                for head in 0..<c.headCount {
                    let kvHead = head / group
                    let hd = c.headDimension
                    let scores = (0...position).map { t in
                        (0..<hd).reduce(0.0) { $0 + q[head * hd + $1] * keys[layer][t][kvHead * hd + $1] } / Double(hd).squareRoot()
                    }
                    let maximum = scores.max()!
                    let weights = scores.map { exp($0 - maximum) }
                    let total = weights.reduce(0, +)
                    for t in 0...position {
                        for i in 0..<hd { attention[head * hd + i] += weights[t] / total * values[layer][t][kvHead * hd + i] }
                    }
                }
                let o = self.matvec(p + "attn_output.weight", attention, rows: d)
                for i in 0..<d { x[i] += o[i] }
                let h2 = self.norm(x, p + "ffn_norm.weight")
                let gate = self.matvec(p + "ffn_gate.weight", h2, rows: c.feedForwardLength)
                let up = self.matvec(p + "ffn_up.weight", h2, rows: c.feedForwardLength)
                let hidden = gate.indices.map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = self.matvec(p + "ffn_down.weight", hidden, rows: d)
                for i in 0..<d { x[i] += down[i] }
            }
            let final = self.norm(x, "output_norm.weight")
            result.append(self.matvec(self.tiedOutput ? "token_embd.weight" : "output.weight", final, rows: c.vocabularySize))
        }
        return result
    }
}
