extension AchievedFractions {
    /// One factor the fit may move, with the grid it searches.
    public struct FitParameter: Sendable {
        public var name: String
        public var grid: [Double]
        public var keyPath: any WritableKeyPath<AchievedFractions, Double> & Sendable

        public init(_ name: String, _ keyPath: any WritableKeyPath<AchievedFractions, Double> & Sendable, grid: [Double]) {
            self.name = name
            self.keyPath = keyPath
            self.grid = grid
        }
    }

    /// The factors `calibrated` was fitted over: the four kernel fractions in steps of 0.05
    /// inside their priors' ranges, the all-reduce latency in steps of 10 µs and the
    /// per-iteration overhead in steps of 0.1 ms. NVLink's fraction stays at its nccl-tests value.
    public static let fitParameters: [FitParameter] = [
        FitParameter("decodeBandwidth", \.decodeBandwidth, grid: steps(from: 0.5, to: 0.95, by: 0.05)),
        FitParameter("decodeCompute", \.decodeCompute, grid: steps(from: 0.2, to: 0.8, by: 0.05)),
        FitParameter("prefillBandwidth", \.prefillBandwidth, grid: steps(from: 0.2, to: 0.9, by: 0.05)),
        FitParameter("prefillCompute", \.prefillCompute, grid: steps(from: 0.3, to: 0.8, by: 0.05)),
        FitParameter("allReduceLatency", \.allReduceLatency, grid: steps(from: 5e-6, to: 155e-6, by: 10e-6)),
        FitParameter("iterationOverhead", \.iterationOverhead, grid: steps(from: 0.1e-3, to: 4e-3, by: 0.1e-3)),
        FitParameter("perQueryHeadLoadRate", \.perQueryHeadLoadRate, grid: steps(from: 1.0e12, to: 8.0e12, by: 0.25e12)),
    ]

    static func steps(from start: Double, to end: Double, by step: Double) -> [Double] {
        let count = Int(((end - start) / step).rounded()) + 1
        return (0..<count).map { start + Double($0) * step }
    }

    /// What the fit minimizes: the mean square of each row's log ratio of prediction to
    /// measurement (least squares in log space, so over- and under-prediction by the same
    /// factor weigh the same and every row pulls, not only the median one).
    public static func fitLoss(_ results: [FidelityResult]) -> Double {
        guard !results.isEmpty else { return 0 }
        let squares = results.map { result -> Double in
            let ratio = 1 + result.error
            return ratio > 0 ? logarithm(ratio) * logarithm(ratio) : .infinity
        }
        return squares.reduce(0, +) / Double(results.count)
    }

    /// Coordinate search from `start`: each round sets every parameter in turn to the grid
    /// value that minimizes `fitLoss` on `rows` with the others held, until a round changes
    /// nothing. Deterministic, so `calibrated` can be checked against it.
    public static func fitted(
        on rows: [FidelityMeasurement], from start: AchievedFractions = .calibrated,
        parameters: [FitParameter] = AchievedFractions.fitParameters, maximumRounds: Int = 20
    ) throws(DeviceSimulationError) -> AchievedFractions {
        var current = start
        var best = Self.fitLoss(try FidelityTable.evaluate(rows, fractions: current))
        for _ in 0..<maximumRounds {
            var changed = false
            for parameter in parameters {
                for value in parameter.grid where value != current[keyPath: parameter.keyPath] {
                    var candidate = current
                    candidate[keyPath: parameter.keyPath] = value
                    let loss = Self.fitLoss(try FidelityTable.evaluate(rows, fractions: candidate))
                    if loss < best - 1e-12 {
                        best = loss
                        current = candidate
                        changed = true
                    }
                }
            }
            if !changed { break }
        }
        return current
    }
}

/// Natural logarithm for a positive ratio near 1 (stdlib has none, and Foundation is out):
/// halve or double into [0.5, 2), then the atanh series ln x = 2 Σ z^(2k+1)/(2k+1), z = (x−1)/(x+1).
func logarithm(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return value == 0 ? -.infinity : .nan }
    var x = value
    var result = 0.0
    let ln2 = 0.693_147_180_559_945_3
    while x >= 2 { x /= 2; result += ln2 }
    while x < 0.5 { x *= 2; result -= ln2 }
    let z = (x - 1) / (x + 1)
    let z2 = z * z
    var term = z
    var sum = 0.0
    var k = 1.0
    while abs(term) > 1e-17 {
        sum += term / k
        term *= z2
        k += 2
    }
    return result + 2 * sum
}
