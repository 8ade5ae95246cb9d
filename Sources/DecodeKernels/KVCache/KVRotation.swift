/// The orthonormal Walsh–Hadamard rotation the int8 and fp8 KV formats apply to every key,
/// value and query row of a head before quantizing (keys, values) or attending (queries).
///
/// Why: SmolLM2's RoPE'd keys carry a few outlier channels many times larger than the rest,
/// so one scale per (token, head) left most channels of a key with a handful of int8 levels,
/// and the few channels that dominate q·k with fp8's full 1/16 relative rounding. A Hadamard
/// rotation spreads every channel's energy over all of them: q·k = (Hq)·(Hk) because H is
/// orthogonal, and attention's output over rotated values is H times the true output, which
/// the same H (its own inverse) undoes. The kernels read quantized tiles exactly as before;
/// the layout and the bytes per token do not change.
///
/// The transform works in blocks of the largest power of two dividing the head size (all of
/// a 64- or 128-wide head; 16 for an 80-wide one), scaled by 1/sqrt(block) so it is orthonormal.
enum KVRotation {
    /// The block the rotation works in for `headDim` (a positive multiple of 16).
    static func blockSize(headDim: Int) -> Int {
        headDim & -headDim
    }

    /// Rotates `count` Floats in place (`count` a multiple of `block`); applying it twice
    /// gives back the input, up to Float rounding.
    static func apply(_ x: UnsafeMutablePointer<Float>, count: Int, block: Int) {
        let normalization = 1 / Float(block).squareRoot()
        for start in stride(from: 0, to: count, by: block) {
            let v = x + start
            var half = 1
            while half < block {
                for base in stride(from: 0, to: block, by: 2 * half) {
                    for i in base..<(base + half) {
                        let a = v[i], b = v[i + half]
                        v[i] = a + b
                        v[i + half] = a - b
                    }
                }
                half *= 2
            }
            for i in 0..<block { v[i] *= normalization }
        }
    }
}
