import ModelRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SamplerTests {
    /// Deterministic pseudo-random logits in [-spread, spread].
    static func logits(count: Int, seed: UInt64, spread: Float = 8) -> [Float] {
        var generator = Xoshiro256(seed: seed)
        return (0..<count).map { _ in (Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1) * spread }
    }

    /// Logits whose softmax is exactly `probabilities`.
    static func logits(probabilities: [Double]) -> [Float] {
        probabilities.map { Float(log($0)) }
    }

    static func sampler(_ configuration: SamplerConfiguration, prompt: [Int32] = []) throws -> Sampler {
        try Sampler(configuration: configuration, promptTokens: prompt)
    }

    static func argmax(_ values: [Float]) -> Int32 {
        Int32(values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }!)
    }

    @Test func generatorMatchesTheReferenceAlgorithm() {
        var generator = Xoshiro256(seed: 42)
        #expect([generator.next(), generator.next(), generator.next()] == [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1])
    }

    @Test func greedyIsArgmax() throws {
        var sampler = try Self.sampler(.init(temperature: 0))
        for seed in 1...20 as ClosedRange<UInt64> {
            let logits = Self.logits(count: 1000, seed: seed)
            #expect(sampler.sample(logits: logits).id == Self.argmax(logits))
        }
    }

    @Test func sameSeedSameSequenceOtherSeedOtherSequence() throws {
        let rows = (1...64 as ClosedRange<UInt64>).map { Self.logits(count: 500, seed: $0, spread: 2) }
        func run(_ seed: UInt64) throws -> [Int32] {
            var sampler = try Self.sampler(.init(temperature: 1, topP: 0.95, seed: seed))
            return rows.map { sampler.sample(logits: $0).id }
        }
        #expect(try run(7) == run(7))
        #expect(try run(7) != run(8))
        let unseeded = try Sampler(configuration: .init())
        let other = try Sampler(configuration: .init())
        #expect(unseeded.seed != other.seed)
    }

    @Test func topKOneIsGreedy() throws {
        var sampler = try Self.sampler(.init(temperature: 1.5, topK: 1, seed: 3))
        for seed in 1...20 as ClosedRange<UInt64> {
            let logits = Self.logits(count: 1000, seed: seed, spread: 1)
            #expect(sampler.sample(logits: logits).id == Self.argmax(logits))
        }
    }

    @Test func topKKeepsOnlyTheKMostLikely() throws {
        let logits = Self.logits(count: 1000, seed: 11, spread: 1)
        let top3 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3).map(Int32.init))
        var sampler = try Self.sampler(.init(temperature: 2, topK: 3, seed: 5))
        let drawn = Set((0..<300).map { _ in sampler.sample(logits: logits).id })
        #expect(drawn == top3)
    }

    @Test func topPExcludesTheTail() throws {
        let logits = Self.logits(probabilities: [0.5, 0.3, 0.15, 0.05])
        var sampler = try Self.sampler(.init(topP: 0.7, seed: 1))
        let drawn = Set((0..<500).map { _ in sampler.sample(logits: logits).id })
        #expect(drawn == [0, 1])
    }

    @Test func topPOverALargeFlatVocabularyStaysInTheNucleus() throws {
        // Flat logits make the nucleus thousands of tokens wide: the partial selection must widen.
        let logits = Self.logits(count: 49_152, seed: 21, spread: 0.5)
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        let weights = logits.map { exp(Double($0 - logits[order[0]])) }
        let total = weights.reduce(0, +)
        var cumulative = 0.0
        var nucleus = Set<Int32>()
        for index in order {
            nucleus.insert(Int32(index))
            cumulative += weights[index]
            if cumulative >= 0.5 * total { break }
        }
        #expect(nucleus.count > 10_000)
        var sampler = try Self.sampler(.init(topP: 0.5, seed: 9))
        for _ in 0..<50 {
            #expect(nucleus.contains(sampler.sample(logits: logits).id))
        }
    }

    @Test func minPExcludesUnlikelyTokens() throws {
        let logits = Self.logits(probabilities: [0.5, 0.3, 0.15, 0.05])
        var sampler = try Self.sampler(.init(minP: 0.2, seed: 4))  // threshold 0.1
        let drawn = Set((0..<500).map { _ in sampler.sample(logits: logits).id })
        #expect(drawn == [0, 1, 2])
    }

    @Test func samplingFollowsTheDistribution() throws {
        let probabilities = [0.5, 0.3, 0.2]
        var sampler = try Self.sampler(.init(seed: 12))
        var counts = [0, 0, 0]
        for _ in 0..<4000 {
            counts[Int(sampler.sample(logits: Self.logits(probabilities: probabilities)).id)] += 1
        }
        for (count, probability) in zip(counts, probabilities) {
            #expect(abs(Double(count) / 4000 - probability) < 0.03)
        }
    }

    @Test func repetitionPenaltyCoversPromptAndGenerated() throws {
        // Token 0 is in the prompt: 2.0 / 1.5 < 1.9, so greedy moves to token 1.
        var penalised = try Self.sampler(.init(temperature: 0, repetitionPenalty: 1.5), prompt: [0])
        #expect(penalised.sample(logits: [2.0, 1.9, 0.0]).id == 1)
        // Now token 1 has been generated too: 1.9 / 1.5 < 1.5.
        #expect(penalised.sample(logits: [2.0, 1.9, 1.5]).id == 2)
        // Negative logits are multiplied: −1 × 1.5 < −1.2.
        var negative = try Self.sampler(.init(temperature: 0, repetitionPenalty: 1.5), prompt: [0])
        #expect(negative.sample(logits: [-1.0, -1.2]).id == 1)
        var unpenalised = try Self.sampler(.init(temperature: 0), prompt: [0])
        #expect(unpenalised.sample(logits: [2.0, 1.9, 0.0]).id == 0)
    }

    @Test func presencePenaltyAppliesOncePerGeneratedToken() throws {
        var sampler = try Self.sampler(.init(temperature: 0, presencePenalty: 0.5), prompt: [1])
        let logits: [Float] = [1.0, 0.8, 0.0]
        #expect(sampler.sample(logits: logits).id == 0)  // the prompt is not penalised
        #expect(sampler.sample(logits: logits).id == 1)  // 1.0 − 0.5 < 0.8
        #expect(sampler.sample(logits: logits).id == 0)  // 0.5 vs 0.3: presence does not grow
    }

    @Test func frequencyPenaltyGrowsWithCount() throws {
        var sampler = try Self.sampler(.init(temperature: 0, frequencyPenalty: 0.3))
        let logits: [Float] = [1.0, 0.5]
        #expect((0..<3).map { _ in sampler.sample(logits: logits).id } == [0, 0, 1])  // 1.0, 0.7, then 0.4 < 0.5
    }

    @Test func logprobsAreNormalisedAndIgnoreTemperature() throws {
        let logits = Self.logits(count: 2000, seed: 31, spread: 4)
        var cold = try Self.sampler(.init(temperature: 0, topLogprobs: 2000))
        var hot = try Self.sampler(.init(temperature: 1.7, topK: 40, seed: 2, topLogprobs: 5))
        let greedy = cold.sample(logits: logits)
        let sampled = hot.sample(logits: logits)
        let total = greedy.topLogprobs.reduce(0.0) { $0 + exp(Double($1.logprob)) }
        #expect(abs(total - 1) < 1e-4)
        #expect(greedy.topLogprobs.count == 2000)
        #expect(zip(greedy.topLogprobs, greedy.topLogprobs.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        #expect(greedy.topLogprobs[0].id == greedy.id && greedy.logprob == greedy.topLogprobs[0].logprob)
        // Same distribution whatever the temperature.
        #expect(sampled.topLogprobs == Array(greedy.topLogprobs.prefix(5)))
        let chosen = try #require(greedy.topLogprobs.first { $0.id == sampled.id })
        #expect(sampled.logprob == chosen.logprob)
        var none = try Self.sampler(.init(temperature: 0))
        let plain = none.sample(logits: logits)
        #expect(plain.logprob == nil && plain.topLogprobs.isEmpty)
    }

    @Test func stopTokensAreFlagged() throws {
        var sampler = try Self.sampler(.init(temperature: 0, stopTokenIDs: [2]))
        #expect(sampler.sample(logits: [0, 0, 5]).isStop)
        #expect(!sampler.sample(logits: [5, 0, 0]).isStop)
    }

    @Test func hostileLogitsDoNotCrash() throws {
        var sampler = try Self.sampler(.init(topP: 0.9, seed: 1, topLogprobs: 2))
        #expect(sampler.sample(logits: [.nan, 1, .nan]).id == 1)
        #expect(sampler.sample(logits: [-.infinity, .infinity, 0]).id == 1)
        _ = sampler.sample(logits: [-.infinity, -.infinity])
        #expect(sampler.sample(logits: []).isStop)
    }

    @Test func invalidConfigurationIsAnError() {
        let invalid: [SamplerConfiguration] = [
            .init(temperature: -1), .init(temperature: .nan), .init(topP: 0), .init(topP: 1.5), .init(topK: -1),
            .init(minP: 2), .init(presencePenalty: .infinity), .init(repetitionPenalty: 0), .init(topLogprobs: -1),
        ]
        for configuration in invalid {
            #expect(throws: ModelRuntimeError.self) { try Sampler(configuration: configuration) }
        }
    }

    /// Cost per token over SmolLM2's vocabulary size, printed (not asserted): greedy, the
    /// usual sampled configuration, and with 5 logprobs.
    @Test func costPerTokenAtVocabularySize() throws {
        let rows = (1...8 as ClosedRange<UInt64>).map { Self.logits(count: 49_152, seed: $0, spread: 6) }
        let configurations: [(String, SamplerConfiguration)] = [
            ("greedy", .init(temperature: 0)),
            ("temperature 0.7, top-p 0.9", .init(temperature: 0.7, topP: 0.9, seed: 1)),
            ("temperature 1, top-k 40", .init(topK: 40, seed: 1)),
            ("temperature 1, no truncation, 5 logprobs", .init(seed: 1, topLogprobs: 5)),
        ]
        let clock = ContinuousClock()
        var report: [String] = []
        for (name, configuration) in configurations {
            var sampler = try Self.sampler(configuration)
            let steps = 200
            let elapsed = clock.measure {
                for step in 0..<steps {
                    _ = sampler.sample(logits: rows[step % rows.count])
                }
            }
            report.append("\(name): \(elapsed / steps)")
        }
        print("sampler per token (49,152 logits): " + report.joined(separator: "; "))
    }
}
