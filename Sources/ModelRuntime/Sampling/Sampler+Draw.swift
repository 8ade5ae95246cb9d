#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sampler {
    /// Temperature sampling over the tokens that top-k, top-p and min-p keep. Candidates are
    /// found by partial selection; only top-p without top-k may widen its selection, and only
    /// for flat distributions.
    mutating func draw(from logits: UnsafeBufferPointer<Float>, best: Int32) -> Int32 {
        let configuration = self.configuration
        let maximum = logits[Int(best)]
        let temperature = Double(configuration.temperature)
        let inverseTemperature = 1 / configuration.temperature
        func computeWeight(_ index: Int32) -> Double {
            Double(expf((logits[Int(index)] - maximum) * inverseTemperature))
        }

        // nil stands for the whole vocabulary, kept implicit to avoid materialising it.
        var candidates: [Int32]? = nil
        // Without top-k every later stage reads every token's weight: compute them once.
        var allWeights: [Double] = []
        if configuration.topK > 0 && configuration.topK < logits.count {
            candidates = LargestValues.indices(of: logits, count: configuration.topK)
        } else {
            allWeights = (0..<Int32(logits.count)).map(computeWeight)
        }
        // Weight of a token relative to the most likely one, after temperature.
        func weight(_ index: Int32) -> Double {
            allWeights.isEmpty ? computeWeight(index) : allWeights[Int(index)]
        }
        if configuration.topP < 1 {
            candidates = self.nucleus(of: logits, within: candidates, topP: Double(configuration.topP), weight: weight)
        }
        if configuration.minP > 0 {
            // p / p_max ≥ min_p ⇔ (logit − max) / T ≥ ln(min_p).
            let threshold = maximum + Float(temperature * log(Double(configuration.minP)))
            if let kept = candidates {
                candidates = kept.filter { logits[Int($0)] >= threshold }
            } else {
                candidates = (0..<Int32(logits.count)).filter { logits[Int($0)] >= threshold }
            }
        }

        let count = candidates?.count ?? logits.count
        // Truncation always keeps the most likely token; this guards against rounding.
        guard count > 0 else { return best }
        func candidate(_ position: Int) -> Int32 { candidates?[position] ?? Int32(position) }
        let weights = (0..<count).map { weight(candidate($0)) }
        let total = weights.reduce(0, +)
        let target = self.generator.nextUnit() * total
        var cumulative = 0.0
        var chosen = candidate(0)
        for position in 0..<count where weights[position] > 0 {
            chosen = candidate(position)
            cumulative += weights[position]
            if cumulative > target {
                break
            }
        }
        return chosen
    }

    /// The smallest set of most likely tokens whose probability reaches `topP`. Within top-k
    /// candidates (sorted) it is a prefix. Over the whole vocabulary the top 64 usually hold
    /// the mass (one partial selection); a flat distribution falls back to a selection by
    /// probability mass, still without sorting the vocabulary.
    private func nucleus(
        of logits: UnsafeBufferPointer<Float>, within candidates: [Int32]?, topP: Double, weight: (Int32) -> Double
    ) -> [Int32] {
        func prefix(of sorted: [Int32], total: Double) -> [Int32]? {
            var cumulative = 0.0
            for (position, index) in sorted.enumerated() {
                cumulative += weight(index)
                if cumulative >= topP * total {
                    return Array(sorted[...position])
                }
            }
            return nil
        }
        if let candidates {
            let total = candidates.reduce(0.0) { $0 + weight($1) }
            return prefix(of: candidates, total: total) ?? candidates
        }
        let weights = (0..<Int32(logits.count)).map(weight)  // cached by the caller
        let total = weights.reduce(0, +)
        if let kept = prefix(of: LargestValues.indices(of: logits, count: 64), total: total) {
            return kept
        }
        return MassSelection.heaviest(weights, reaching: topP * total)
    }
}
