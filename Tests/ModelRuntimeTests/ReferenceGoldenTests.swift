import DecodeKernels
import Foundation
import ModelRuntime
import Testing

/// Our forward pass (fp16 KV) against the float64 numpy reference of
/// Scripts/reference/llama_reference.py, through its golden file.
@Suite struct ReferenceGoldenTests {
    static var goldenPath: String { RealModel.packageRoot + "/Tests/ModelRuntimeTests/Resources/reference-golden.json" }

    /// Logits may differ from float64 by what 8-bit activations cost (ggml computes the same
    /// way): at most this fraction of the reference's logit range (max − min, about 37 here).
    static let logitTolerance: Float = 0.02
    /// A greedy step may pick differently from the reference only where the reference's top
    /// two logits are within this much of each other (a near-tie that rounding decides).
    static let nearTieMargin = 0.5

    struct Golden {
        let json: [String: Any]
        init() throws {
            let data = try #require(FileManager.default.contents(atPath: ReferenceGoldenTests.goldenPath))
            self.json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        var probes: [Int] { self.json["probe_token_ids"] as? [Int] ?? [] }
        var plain: [[String: Any]] { self.json["plain"] as? [[String: Any]] ?? [] }
        var chat: [[String: Any]] { self.json["chat"] as? [[String: Any]] ?? [] }
    }

    static func int32s(_ value: Any?) -> [Int32] { (value as? [Int] ?? []).map { Int32($0) } }

    @Test func lastPositionLogitsMatchTheFloat64Reference() throws {
        let golden = try Golden()
        let loaded = try SmolLM2Tests.load()
        #expect(golden.plain.count == 3)
        for entry in golden.plain {
            let ids = Self.int32s(entry["token_ids"])
            let expected = try #require(entry["last_position"] as? [String: Any])
            let sequence = try LlamaSequence(context: loaded.context, format: .fp16, capacity: ids.count)
            let logits = try sequence.append(ids)
            let range = Float(try #require(expected["max"] as? Double) - (expected["min"] as? Double ?? 0))
            var worst: Float = 0
            let top10 = try #require(expected["top10"] as? [[Double]])
            for pair in top10 { worst = max(worst, abs(logits[Int(pair[0])] - Float(pair[1]))) }
            let probeLogits = try #require(expected["probe_logits"] as? [Double])
            for (id, value) in zip(golden.probes, probeLogits) { worst = max(worst, abs(logits[id] - Float(value))) }
            let ourTop = logits.indices.max { logits[$0] < logits[$1] } ?? 0
            print("reference logits \((entry["text"] as? String ?? "").debugDescription): worst |Δ| \(worst) over top-10 + 20 probes (range \(range)), top-1 \(ourTop) vs \(Int(top10[0][0]))")
            #expect(worst <= Self.logitTolerance * range)
            #expect(ourTop == Int(top10[0][0]))
        }
    }

    /// Teacher-forced: after the prompt and each of the reference's greedy tokens, is our
    /// argmax the reference's next token? Free-running: how long a prefix of the reference's
    /// 64 greedy tokens does our own greedy generation reproduce?
    @Test func greedyTokensMatchTheReference() throws {
        let golden = try Golden()
        let loaded = try SmolLM2Tests.load()
        let vocabulary = loaded.model.configuration.vocabularySize
        var agreed = 0
        var total = 0
        for entry in golden.chat {
            let prompt = Self.int32s(entry["token_ids"])
            let rendered = loaded.template.render([.user(entry["user"] as? String ?? "")])
            #expect(try loaded.tokenizer.encode(rendered, addSpecial: true) == prompt)
            let greedy = try #require(entry["greedy"] as? [String: Any])
            let expected = Self.int32s(greedy["token_ids"])
            let margins = greedy["margins"] as? [Double] ?? []

            let forced = try LlamaSequence(context: loaded.context, format: .fp16, capacity: prompt.count + expected.count)
            let logits = try forced.appendReturningEveryLogit(prompt + expected.dropLast())
            var disagreements: [String] = []
            for step in 0..<expected.count {
                let row = (prompt.count - 1 + step) * vocabulary
                var best = row
                for index in row..<(row + vocabulary) where logits[index] > logits[best] { best = index }
                total += 1
                if Int32(best - row) == expected[step] {
                    agreed += 1
                } else {
                    disagreements.append("step \(step) (reference margin \(margins[step]))")
                    #expect(margins[step] < Self.nearTieMargin, "step \(step) differs with a clear reference margin")
                }
            }

            let sequence = try LlamaSequence(context: loaded.context, format: .fp16, capacity: prompt.count + expected.count)
            let generator = LlamaGenerator(sequence: sequence, endOfSequence: nil)
            var sampler = try Sampler(configuration: SamplerConfiguration(temperature: 0))
            let free = try generator.generate(prompt: prompt, maxTokens: expected.count, sampler: &sampler) { _ in }
            let prefix = zip(free.tokens, expected).prefix { $0 == $1 }.count
            print("reference greedy \((entry["user"] as? String ?? "").debugDescription): teacher-forced \(expected.count - disagreements.count)/\(expected.count) agree \(disagreements); free-running identical for \(prefix)/\(expected.count) tokens")
        }
        print("reference greedy overall: \(agreed)/\(total) teacher-forced steps agree")
        #expect(total == 192)
        #expect(Double(agreed) >= 0.95 * Double(total))
    }
}
