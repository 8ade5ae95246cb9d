/// fp8-e4m3 as the H200 stores KV values ("e4m3fn"): 1 sign bit, 4 exponent bits with bias 7,
/// 3 mantissa bits; no infinities, 0x7F and 0xFF are NaN, the largest finite value is 448.
/// Encoding runs in software on every KV write; decoding goes through a 256-entry table.
public enum FP8E4M3 {
    /// The largest finite magnitude.
    public static let maxFinite: Float = 448

    /// The nearest e4m3 value (ties to even); magnitudes past 448 saturate to ±448, NaN stays NaN.
    @inline(__always)
    public static func encode(_ value: Float) -> UInt8 {
        let bits = value.bitPattern
        let sign = UInt8(truncatingIfNeeded: bits >> 24) & 0x80
        if value.isNaN { return sign | 0x7F }
        let magnitude = Swift.abs(value)
        let code: UInt32
        if magnitude < 0x1p-6 {
            // Subnormal range: multiples of 2^-9; a carry to 8 is exactly the smallest normal.
            code = UInt32((magnitude * 512).rounded(.toNearestOrEven))
        } else {
            // Round the float's mantissa to 3 bits, ties to even, then rebias 127 -> 7.
            let magnitudeBits = magnitude.bitPattern
            let rounded = magnitudeBits &+ 0x7FFFF &+ ((magnitudeBits >> 20) & 1)
            let shifted = rounded >> 20
            code = shifted >= (127 - 7) << 3 + 0x7E ? 0x7E : shifted - (127 - 7) << 3
        }
        return sign | UInt8(truncatingIfNeeded: min(code, 0x7E))
    }

    /// The value of `code`.
    @inline(__always)
    public static func decode(_ code: UInt8) -> Float {
        decodeTable[Int(code)]
    }

    /// The value of every code, indexed by the code.
    public static let decodeTable: [Float] = (0..<256).map { index in
        let code = UInt8(index)
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponent = Int((code >> 3) & 0x0F)
        let mantissa = Float(code & 0x07)
        if exponent == 0x0F && code & 0x07 == 0x07 { return .nan }
        if exponent == 0 { return sign * mantissa * 0x1p-9 }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }
}
