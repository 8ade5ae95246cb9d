import CKernels
import RealModule

/// Whether the CPU runs CKernels' AVX2 SwiGLU; probed once.
private let swiGLUNative = ck_detect_isa() != CK_ISA_NONE

/// SwiGLU in place: gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^-x). With AVX2,
/// eight at a time with a polynomial e^x (CKernels); otherwise `referenceSwiGLU`.
public func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    if swiGLUNative {
        ck_swiglu_avx2(gate, up, Int64(count))
    } else {
        referenceSwiGLU(gate: gate, up: up, count: count)
    }
}

/// SwiGLU with the library's e^x, one value at a time: the portable path and the reference
/// the tests compare the vector one against.
func referenceSwiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    for index in 0..<count {
        let g = gate[index]
        gate[index] = g / (1 + Float.exp(-g)) * up[index]
    }
}

/// Softmax of `count` values in place, shifted by the maximum so no exponential overflows.
public func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    var maximum = x[0]
    for index in 1..<count { maximum = max(maximum, x[index]) }
    var sum: Float = 0
    for index in 0..<count {
        let e = Float.exp(x[index] - maximum)
        x[index] = e
        sum += e
    }
    let inverse = 1 / sum
    for index in 0..<count { x[index] *= inverse }
}

/// The residual connection: x[i] += residual[i].
public func addResidual(_ residual: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count { x[index] += residual[index] }
}
