/// RMSNorm of `rows` rows of `count` values each: out = x / sqrt(mean(x²) + epsilon) · weight.
/// `output` may be `input` (the sum is taken before any value is written).
public func rmsNorm(
    _ input: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, rows: Int = 1,
    epsilon: Float, output: UnsafeMutablePointer<Float>
) {
    for row in 0..<rows {
        let x = input + row * count
        let y = output + row * count
        var acc0 = SIMD4<Float>(), acc1 = SIMD4<Float>()
        var index = 0
        while index + 8 <= count {
            let v0 = UnsafeRawPointer(x + index).loadUnaligned(as: SIMD4<Float>.self)
            let v1 = UnsafeRawPointer(x + index + 4).loadUnaligned(as: SIMD4<Float>.self)
            acc0 += v0 * v0
            acc1 += v1 * v1
            index += 8
        }
        var sum = (acc0 + acc1).sum()
        while index < count {
            sum += x[index] * x[index]
            index += 1
        }
        let scale = 1 / (sum / Float(count) + epsilon).squareRoot()
        for index in 0..<count { y[index] = x[index] * scale * weight[index] }
    }
}
