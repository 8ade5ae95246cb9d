/// IEEE binary16 conversions for the fp16 KV format. Encoding is scalar (one call per stored
/// value); decoding is vectorised with integer operations, because at the default x86-64
/// target a `Float16` conversion is a library call per lane.
enum HalfFloat {
    /// The largest finite half.
    static let maxFinite: Float = 65504

    /// The nearest half of `value` (ties to even), saturated to ±65504 so a cache never
    /// stores an infinity.
    @inline(__always)
    static func encode(_ value: Float) -> UInt16 {
        let clamped = value.isNaN ? value : Swift.min(Swift.max(value, -maxFinite), maxFinite)
        return Float16(clamped).bitPattern
    }

    /// Sixteen halves to floats: normals by rebiasing the exponent, subnormals (exponent 0)
    /// by converting the mantissa as an integer and scaling it by 2^-24.
    @inline(__always)
    static func decode(_ halves: SIMD16<UInt16>) -> SIMD16<Float> {
        let wide = SIMD16<UInt32>(truncatingIfNeeded: halves)
        let sign = (wide & 0x8000) &<< 16
        let magnitude = wide & 0x7FFF
        let normal = unsafeBitCast(((magnitude &<< 13) &+ 0x3800_0000) | sign, to: SIMD16<Float>.self)
        let subnormal = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: magnitude)) * 0x1p-24
        let signedSubnormal = unsafeBitCast(unsafeBitCast(subnormal, to: SIMD16<UInt32>.self) | sign, to: SIMD16<Float>.self)
        return normal.replacing(with: signedSubnormal, where: magnitude .< 0x0400)
    }
}
