import Foundation

/// How many tokens (words, for synthetic prompts) a request's input or output has.
public enum LengthDistribution: Sendable, Hashable {
    case fixed(Int)
    /// Uniform over `lower...upper`.
    case uniform(Int, Int)
    /// Normal, rounded and clamped to at least 1.
    case normal(mean: Double, deviation: Double)
    /// Drawn from observed lengths (an empirical distribution).
    case empirical([Int])

    /// Parses `fixed:N` (or `N`), `uniform:A-B`, `normal:MEAN,SD`, `file:PATH` (one length a line).
    public init(parsing text: String, option: String) throws(LoadConfigurationError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = parts.count == 2 ? parts[0] : "fixed"
        let value = parts.count == 2 ? parts[1] : text
        func bad() -> LoadConfigurationError {
            LoadConfigurationError("\(option): '\(text)' is not fixed:N, uniform:A-B, normal:MEAN,SD or file:PATH")
        }
        switch kind {
        case "fixed":
            guard let n = Int(value), n > 0 else { throw bad() }
            self = .fixed(n)
        case "uniform":
            let bounds = value.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] > 0, bounds[0] <= bounds[1] else { throw bad() }
            self = .uniform(bounds[0], bounds[1])
        case "normal":
            let numbers = value.split(separator: ",").compactMap { Double($0) }
            guard numbers.count == 2, numbers[0] > 0, numbers[1] >= 0, numbers.allSatisfy(\.isFinite) else { throw bad() }
            self = .normal(mean: numbers[0], deviation: numbers[1])
        case "file":
            guard let contents = try? String(contentsOfFile: value, encoding: .utf8) else {
                throw LoadConfigurationError("\(option): cannot read '\(value)'")
            }
            var lengths: [Int] = []
            for (number, line) in contents.split(whereSeparator: \.isNewline).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                guard let length = Int(trimmed), length > 0 else {
                    throw LoadConfigurationError("\(option): \(value):\(number + 1): '\(trimmed)' is not a positive integer")
                }
                lengths.append(length)
            }
            guard !lengths.isEmpty else { throw LoadConfigurationError("\(option): '\(value)' holds no lengths") }
            self = .empirical(lengths)
        default:
            throw bad()
        }
    }

    public func sample(using generator: inout SplitMix64) -> Int {
        switch self {
        case .fixed(let n):
            return n
        case .uniform(let lower, let upper):
            return Int.random(in: lower...upper, using: &generator)
        case .normal(let mean, let deviation):
            // Box-Muller; 1 - u keeps the logarithm finite.
            let u1 = 1 - Double.random(in: 0..<1, using: &generator)
            let u2 = Double.random(in: 0..<1, using: &generator)
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return max(1, Int((mean + deviation * z).rounded()))
        case .empirical(let lengths):
            return lengths.randomElement(using: &generator) ?? 1
        }
    }
}
