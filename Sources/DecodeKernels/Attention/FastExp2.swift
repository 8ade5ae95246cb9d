/// 2^x for sixteen lanes at once, for the online softmax (x ≤ 0 there). Round to the nearest
/// integer n with the 1.5·2^23 trick, evaluate 2^f for f in [-0.5, 0.5] with a degree-6
/// Taylor polynomial of e^(f·ln 2) (relative error below 2e-7), and build 2^n from its bits.
/// Only adds, multiplies and integer shifts, so it stays vectorised at the default x86-64
/// target where `exp2f` would be a library call per lane. Inputs below -126 give 2^-126.
@inline(__always)
func fastExp2(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let magic: Float = 12_582_912  // 1.5 · 2^23
    let clamped = x.replacing(with: -126, where: .!(x .>= -126)).replacing(with: 126, where: x .> 126)
    let shifted = clamped + magic
    let n = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
    let f = clamped - (shifted - magic)
    let t = f * 0.693_147_18
    var p: SIMD16<Float> = SIMD16(repeating: 1.0 / 720)
    p = p * t + 1.0 / 120
    p = p * t + 1.0 / 24
    p = p * t + 1.0 / 6
    p = p * t + 0.5
    p = p * t + 1
    p = p * t + 1
    let power = unsafeBitCast((n &+ 127) &<< 23, to: SIMD16<Float>.self)
    return p * power
}

/// 2^x for one value, through the vector version so both round the same way.
@inline(__always)
func fastExp2(_ x: Float) -> Float {
    fastExp2(SIMD16<Float>(repeating: x))[0]
}
