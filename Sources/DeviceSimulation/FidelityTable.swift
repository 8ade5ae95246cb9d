/// Published H100 / H200 serving measurements the cost model is checked against
/// (Docs/SIMULATOR.md's fidelity table). `switchyard simulate --fidelity` prints the table
/// from these rows; `FidelityTests` checks the document against it.
public struct FidelityMeasurement: Sendable, Hashable {
    public enum Metric: String, Sendable, Hashable {
        /// Output tokens per second per GPU of a static batch (gptSessionBenchmark).
        case outputTokensPerSecondPerGPU = "tok/s/GPU"
        /// Latency of the first token at batch 1: one prefill iteration.
        case firstTokenMilliseconds = "first token ms"
    }

    /// Which half of the table a row belongs to: the factors are fitted on one, checked on the other.
    public enum Half: String, Sendable, Hashable {
        case fit, heldOut = "held out"
    }

    public var id: String
    /// A key of `FidelityTable.sources`.
    public var source: String
    public var device: DeviceSpec
    public var model: String
    public var weights: WeightFormat
    public var kv: KVFormat
    public var tensorParallel: Int
    public var batch: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var metric: Metric
    public var measured: Double
    public var half: Half
    /// The decode-attention kernel of the runtime that measured it.
    public var attentionKernel: AttentionKernel

    /// The cost model's figure for this row's metric under `fractions`.
    public func prediction(fractions: AchievedFractions) throws(DeviceSimulationError) -> Double {
        let profile = try ModelCatalog.standard.profile(named: self.model, weights: self.weights, kv: self.kv)
        let model = CostModel(
            profile: profile, device: self.device, tensorParallel: self.tensorParallel, fractions: fractions,
            attentionKernel: self.attentionKernel)
        let run = model.staticBatch(batchSize: self.batch, inputTokens: self.inputTokens, outputTokens: self.outputTokens)
        switch self.metric {
        case .outputTokensPerSecondPerGPU: return run.outputTokensPerSecond / Double(self.tensorParallel)
        case .firstTokenMilliseconds: return run.firstTokenSeconds * 1000
        }
    }
}

/// One row's prediction and its relative error (prediction / measured − 1).
public struct FidelityResult: Sendable, Hashable {
    public var row: FidelityMeasurement
    public var predicted: Double
    public var error: Double
}

public enum FidelityTable {
    /// Where the rows come from.
    public static let sources: [(key: String, citation: String)] = [
        ("P", "NVIDIA/TensorRT-LLM docs/source/performance.md at commit 138f96d (\"updated for v0.6.1\"; "
            + "nvidia.github.io/TensorRT-LLM/performance.html): H100 SXM FP8 weights and FP8 KV, static batch "
            + "(gptSessionBenchmark), peak throughput (v0.6.1) and batch-1 first-token latency (v0.5)"),
        ("B", "NVIDIA/TensorRT-LLM docs/source/blogs/H200launch.md on branch release/0.5.0 (TensorRT-LLM v0.5.0, "
            + "TensorRT 9.1): H200 SXM FP8 max throughput, static batch. The original table gives total output "
            + "tok/s and the TP used; a later edit on main divided the 70B rows by TP into tok/s/GPU (6,616 / 4 = "
            + "1,654; 682 / 2 = 341) but also rewrote their TP column (4 → 2, 2 → 1), which made two rows claim TP1 "
            + "with different \"largest batch\"; the TP here is the original's, the figure per GPU"),
    ]

    private static func row(
        _ id: String, _ half: FidelityMeasurement.Half, _ source: String, _ device: DeviceSpec, _ model: String,
        tp: Int, batch: Int, _ input: Int, _ output: Int, _ metric: FidelityMeasurement.Metric, _ measured: Double
    ) -> FidelityMeasurement {
        FidelityMeasurement(
            id: id, source: source, device: device, model: model, weights: .fp8, kv: .fp8, tensorParallel: tp,
            batch: batch, inputTokens: input, outputTokens: output, metric: metric, measured: measured, half: half,
            attentionKernel: .perQueryHead)
    }

    /// Every row. The halves are balanced by design: within each source and model, every
    /// input/output shape and both first-token lengths fall in each half as evenly as the rows
    /// allow (fit: 128/128 and 2048/2048 of the 7B, 128/2048 and 2048/128 of the 70B on the
    /// H100, and so on), so neither half lacks a regime the other tests.
    public static let published: [FidelityMeasurement] = [
        row("P1", .fit, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 768, 128, 128, .outputTokensPerSecondPerGPU, 19_694),
        row("P2", .heldOut, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 112, 128, 2048, .outputTokensPerSecondPerGPU, 6_818),
        row("P3", .heldOut, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 80, 2048, 128, .outputTokensPerSecondPerGPU, 2_244),
        row("P4", .fit, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 48, 2048, 2048, .outputTokensPerSecondPerGPU, 2_740),
        row("P5", .heldOut, "P", .h100SXM, "llama-2-70b", tp: 2, batch: 1024, 128, 128, .outputTokensPerSecondPerGPU, 2_657),
        row("P6", .fit, "P", .h100SXM, "llama-2-70b", tp: 4, batch: 480, 128, 2048, .outputTokensPerSecondPerGPU, 1_486),
        row("P7", .fit, "P", .h100SXM, "llama-2-70b", tp: 2, batch: 96, 2048, 128, .outputTokensPerSecondPerGPU, 306),
        row("P8", .heldOut, "P", .h100SXM, "llama-2-70b", tp: 2, batch: 64, 2048, 2048, .outputTokensPerSecondPerGPU, 547),
        row("P9", .fit, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 1, 128, 1, .firstTokenMilliseconds, 7),
        row("P10", .heldOut, "P", .h100SXM, "llama-2-7b", tp: 1, batch: 1, 2048, 1, .firstTokenMilliseconds, 36),
        row("P11", .heldOut, "P", .h100SXM, "llama-2-70b", tp: 4, batch: 1, 128, 1, .firstTokenMilliseconds, 26),
        row("P12", .fit, "P", .h100SXM, "llama-2-70b", tp: 4, batch: 1, 2048, 1, .firstTokenMilliseconds, 109),
        row("B1", .heldOut, "B", .h200SXM, "llama-2-13b", tp: 1, batch: 1024, 128, 128, .outputTokensPerSecondPerGPU, 11_819),
        row("B2", .fit, "B", .h200SXM, "llama-2-13b", tp: 1, batch: 128, 128, 2048, .outputTokensPerSecondPerGPU, 4_750),
        row("B3", .heldOut, "B", .h200SXM, "llama-2-13b", tp: 1, batch: 64, 2048, 128, .outputTokensPerSecondPerGPU, 1_349),
        row("B4", .fit, "B", .h200SXM, "llama-2-70b", tp: 1, batch: 512, 128, 128, .outputTokensPerSecondPerGPU, 3_014),
        row("B5", .heldOut, "B", .h200SXM, "llama-2-70b", tp: 4, batch: 512, 128, 2048, .outputTokensPerSecondPerGPU, 1_654),
        row("B6", .fit, "B", .h200SXM, "llama-2-70b", tp: 2, batch: 64, 2048, 128, .outputTokensPerSecondPerGPU, 341),
        row("B7", .heldOut, "B", .h200SXM, "llama-2-70b", tp: 1, batch: 32, 2048, 128, .outputTokensPerSecondPerGPU, 303),
    ]

    /// Each row's prediction and error under `fractions`.
    public static func evaluate(
        _ rows: [FidelityMeasurement] = FidelityTable.published, fractions: AchievedFractions = .calibrated
    ) throws(DeviceSimulationError) -> [FidelityResult] {
        var results: [FidelityResult] = []
        for row in rows {
            let predicted = try row.prediction(fractions: fractions)
            results.append(FidelityResult(row: row, predicted: predicted, error: predicted / row.measured - 1))
        }
        return results
    }

    /// Median of `values` (0 for none).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
