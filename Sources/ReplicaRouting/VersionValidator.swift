import Foundation
import GatewayCore
import InferenceEngine

/// What validation found: per golden prompt and replica, whether it matched, and the first
/// divergence in words.
public struct ValidationReport: Sendable, Equatable, Codable {
    public struct PromptResult: Sendable, Equatable, Codable {
        public var prompt: String
        public var replica: String
        public var passed: Bool
        public var detail: String
        public var timeToFirstTokenMilliseconds: Double?
    }

    public var passed: Bool
    public var summary: String
    public var results: [PromptResult]
}

/// Runs a version's golden prompts on each of its replicas before it takes traffic: greedy
/// tokens must match exactly; recorded top log-probabilities must match within the prompt's
/// KL bound; every prompt's first token must come within the smoke limit.
struct VersionValidator: Sendable {
    /// Used when a manifest has no golden prompts: the latency smoke check still runs.
    static let smokePrompt = GoldenPrompt(name: "smoke", prompt: "Hello")

    var timeToFirstTokenLimit: Duration

    func validate(manifest: ModelManifest, replicas: [(id: String, replica: any RoutableReplica)]) async -> ValidationReport {
        let prompts = manifest.goldenPrompts.flatMap { $0.isEmpty ? nil : $0 } ?? [Self.smokePrompt]
        var results: [ValidationReport.PromptResult] = []
        for (id, replica) in replicas {
            for golden in prompts {
                results.append(await self.check(golden, on: replica, id: id))
            }
        }
        let failures = results.filter { !$0.passed }
        let summary =
            failures.first.map { "prompt '\($0.prompt)' on \($0.replica): \($0.detail)" }
            ?? "\(prompts.count) prompt(s) passed on \(replicas.count) replica(s)"
        return ValidationReport(passed: failures.isEmpty && !replicas.isEmpty, summary: summary, results: results)
    }

    private func check(_ golden: GoldenPrompt, on replica: any RoutableReplica, id: String) async -> ValidationReport.PromptResult {
        let recorded = golden.topLogprobs ?? []
        let length = max(golden.greedyTokens?.count ?? 0, recorded.count, 1)
        var sampling = SamplingParameters()
        sampling.temperature = 0
        if !recorded.isEmpty { sampling.topLogprobs = min(20, recorded.map(\.tokens.count).max() ?? 1) }
        let request = GenerationRequest(
            id: RequestID("validate-\(id)-\(golden.name)"), prompt: .text(golden.prompt), sampling: sampling, maxTokens: length)
        let started = ContinuousClock.now
        var firstToken: Duration?
        var generated: [GeneratedToken] = []
        do {
            for try await event in replica.generate(request) {
                if case .token(let token) = event {
                    if firstToken == nil { firstToken = ContinuousClock.now - started }
                    generated.append(token)
                }
            }
        } catch {
            return self.result(golden, id, passed: false, "generation failed: \(error)", firstToken)
        }
        if let expected = golden.greedyTokens {
            for (index, token) in expected.enumerated() {
                guard index < generated.count else {
                    return self.result(golden, id, passed: false, "ended after \(generated.count) tokens; expected \(expected.count)", firstToken)
                }
                if generated[index].id != token {
                    return self.result(
                        golden, id, passed: false,
                        "diverged at token \(index): expected id \(token), got id \(generated[index].id) (\(Self.quoted(generated[index].text)))",
                        firstToken)
                }
            }
        }
        if !recorded.isEmpty {
            let bound = golden.klBound ?? 0.05
            let divergence = Self.meanKL(recorded: recorded, generated: generated)
            if !(divergence <= bound) {
                return self.result(
                    golden, id, passed: false, "mean KL \(Self.rounded(divergence)) over \(recorded.count) steps exceeds the bound \(bound)",
                    firstToken)
            }
        }
        guard let firstToken else {
            return self.result(golden, id, passed: false, "no token generated", nil)
        }
        if firstToken > self.timeToFirstTokenLimit {
            return self.result(golden, id, passed: false, "time to first token \(firstToken) exceeds the smoke limit \(self.timeToFirstTokenLimit)", firstToken)
        }
        return self.result(golden, id, passed: true, "matched", firstToken)
    }

    private func result(_ golden: GoldenPrompt, _ id: String, passed: Bool, _ detail: String, _ ttft: Duration?) -> ValidationReport.PromptResult {
        ValidationReport.PromptResult(
            prompt: golden.name, replica: id, passed: passed, detail: detail,
            timeToFirstTokenMilliseconds: ttft.map { $0.secondsValue * 1000 })
    }

    /// Mean over the recorded steps of KL(recorded ‖ model), both restricted to the recorded
    /// tokens and renormalised there. A recorded token missing from the model's top list
    /// takes the model's smallest listed log-probability; a step the model never reached
    /// counts as infinite divergence.
    static func meanKL(recorded: [GoldenPrompt.Step], generated: [GeneratedToken]) -> Double {
        var total = 0.0
        for (index, step) in recorded.enumerated() {
            guard index < generated.count, !step.tokens.isEmpty, step.tokens.count == step.logprobs.count else { return .infinity }
            let alternatives = generated[index].topLogprobs
            var model: [String: Double] = [:]
            for alternative in alternatives { model[alternative.token] = Double(alternative.logprob) }
            let floor = alternatives.map { Double($0.logprob) }.min() ?? -30
            let p = Self.normalised(step.logprobs.map(Double.init))
            let q = Self.normalised(step.tokens.map { model[$0] ?? floor })
            for (pi, qi) in zip(p, q) where pi > 0 {
                total += pi * (log(pi) - log(max(qi, 1e-12)))
            }
        }
        return total / Double(max(recorded.count, 1))
    }

    private static func normalised(_ logprobs: [Double]) -> [Double] {
        let top = logprobs.max() ?? 0
        let weights = logprobs.map { exp($0 - top) }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    private static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
