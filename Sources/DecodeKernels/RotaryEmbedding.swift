import RealModule

/// Rotary position embedding in llama.cpp's "normal" style (LLAMA_ROPE_TYPE_NORM): within
/// each head, adjacent pairs (x[2i], x[2i+1]) turn by pos · base^(-2i/headDimension).
/// Cosines and sines are tabulated once for positions below `maxPositions` (computed in
/// Double, so a long context loses no accuracy); later positions are computed on the fly.
public struct RotaryEmbedding: Sendable {
    public let headDimension: Int
    public let base: Float
    public let maxPositions: Int
    private let table: [Float]  // per position: headDimension / 2 (cos, sin) pairs

    public init(headDimension: Int, base: Float, maxPositions: Int) {
        self.headDimension = headDimension
        self.base = base
        self.maxPositions = max(0, maxPositions)
        let pairs = headDimension / 2
        var table = [Float](repeating: 0, count: self.maxPositions * pairs * 2)
        for position in 0..<self.maxPositions {
            for pair in 0..<pairs {
                let angle = Self.angle(position: position, pair: pair, headDimension: headDimension, base: base)
                table[(position * pairs + pair) * 2] = Float(Double.cos(angle))
                table[(position * pairs + pair) * 2 + 1] = Float(Double.sin(angle))
            }
        }
        self.table = table
    }

    private static func angle(position: Int, pair: Int, headDimension: Int, base: Float) -> Double {
        Double(position) * Double.pow(Double(base), -2 * Double(pair) / Double(headDimension))
    }

    /// Rotates `heads` consecutive heads of one token (headDimension values each) in place.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, position: Int) {
        let pairs = self.headDimension / 2
        if position < self.maxPositions {
            self.table.withUnsafeBufferPointer { table in
                let rotations = table.baseAddress! + position * pairs * 2
                Self.rotate(x, heads: heads, headDimension: self.headDimension, rotations: rotations)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: pairs * 2) { buffer in
            for pair in 0..<pairs {
                let angle = Self.angle(position: position, pair: pair, headDimension: self.headDimension, base: self.base)
                buffer[pair * 2] = Float(Double.cos(angle))
                buffer[pair * 2 + 1] = Float(Double.sin(angle))
            }
            Self.rotate(x, heads: heads, headDimension: self.headDimension, rotations: UnsafePointer(buffer.baseAddress!))
        }
    }

    private static func rotate(_ x: UnsafeMutablePointer<Float>, heads: Int, headDimension: Int, rotations: UnsafePointer<Float>) {
        for head in 0..<heads {
            let v = x + head * headDimension
            for pair in 0..<(headDimension / 2) {
                let cosine = rotations[pair * 2], sine = rotations[pair * 2 + 1]
                let x0 = v[pair * 2], x1 = v[pair * 2 + 1]
                v[pair * 2] = x0 * cosine - x1 * sine
                v[pair * 2 + 1] = x0 * sine + x1 * cosine
            }
        }
    }
}
