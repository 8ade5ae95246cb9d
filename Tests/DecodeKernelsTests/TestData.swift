/// Deterministic pseudo-random test data (SplitMix64), never all zeros.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(self.next() >> 40) / Float(1 << 24)
    }

    /// `count` values in [-scale, scale), with every 16-value group's scale varied so block
    /// scales differ, and no value exactly zero.
    mutating func values(_ count: Int, scale: Float = 1) -> [Float] {
        var result = [Float](repeating: 0, count: count)
        var groupScale = scale
        for index in 0..<count {
            if index % 16 == 0 { groupScale = scale * self.uniform(0.25, 1) }
            let value = groupScale * self.uniform(-1, 1)
            result[index] = value == 0 ? groupScale * 1e-3 : value
        }
        return result
    }
}
