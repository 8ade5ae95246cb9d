import DeviceSimulation
import Testing

/// Docs/SIMULATOR.md's fidelity table, row for row: each published measurement, the prediction
/// the doc states for it, and the error. The test recomputes every prediction with
/// `AchievedFractions.calibrated`, so neither the doc nor the code can drift from the other,
/// and checks the held-out half against the goal (median ≤ 15%, none worse than 35%).
@Suite struct FidelityTests {
    enum Metric { case outputTokensPerSecondPerGPU, firstTokenMilliseconds }
    enum Half { case fit, heldOut, outsideModel }

    struct Row {
        let id: String
        let half: Half
        let device: DeviceSpec
        let model: String
        let tensorParallel: Int
        let batch: Int
        let inputTokens: Int
        let outputTokens: Int
        let metric: Metric
        let measured: Double
        /// As Docs/SIMULATOR.md states them.
        let documentedPrediction: Double
        let documentedErrorPercent: Double
    }

    // Sources (all FP8 weights and FP8 KV, static batching, TensorRT-LLM):
    // [P] docs/source/performance.md, TensorRT-LLM v0.6.1: H100 SXM peak throughput (out tok/s/GPU)
    //     and v0.5 low-latency first-token latency at batch 1.
    // [B] docs/source/blogs/H200launch.md, TensorRT-LLM v0.5: H200 SXM max throughput (out tok/s/GPU).
    static let rows: [Row] = [
        Row(id: "F1", half: .fit, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 768, inputTokens: 128, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 19_694, documentedPrediction: 19_179.1, documentedErrorPercent: -2.6),
        Row(id: "H1", half: .heldOut, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 112, inputTokens: 128, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 6_818, documentedPrediction: 6_281.9, documentedErrorPercent: -7.9),
        Row(id: "F2", half: .fit, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 80, inputTokens: 2048, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 2_244, documentedPrediction: 2_005.1, documentedErrorPercent: -10.6),
        Row(id: "H2", half: .heldOut, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 48, inputTokens: 2048, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 2_740, documentedPrediction: 2_360.1, documentedErrorPercent: -13.9),
        Row(id: "F3", half: .fit, device: .h100SXM, model: "llama-2-70b", tensorParallel: 2, batch: 1024, inputTokens: 128, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 2_657, documentedPrediction: 2_623.5, documentedErrorPercent: -1.3),
        Row(id: "X1", half: .outsideModel, device: .h100SXM, model: "llama-2-70b", tensorParallel: 4, batch: 480, inputTokens: 128, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 1_486, documentedPrediction: 2_356.6, documentedErrorPercent: 58.6),
        Row(id: "H3", half: .heldOut, device: .h100SXM, model: "llama-2-70b", tensorParallel: 2, batch: 96, inputTokens: 2048, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 306, documentedPrediction: 306.0, documentedErrorPercent: 0.0),
        Row(id: "X2", half: .outsideModel, device: .h100SXM, model: "llama-2-70b", tensorParallel: 2, batch: 64, inputTokens: 2048, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 547, documentedPrediction: 798.8, documentedErrorPercent: 46.0),
        Row(id: "F4", half: .fit, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 1, inputTokens: 128, outputTokens: 1, metric: .firstTokenMilliseconds, measured: 7, documentedPrediction: 6.7, documentedErrorPercent: -4.9),
        Row(id: "H4", half: .heldOut, device: .h100SXM, model: "llama-2-7b", tensorParallel: 1, batch: 1, inputTokens: 2048, outputTokens: 1, metric: .firstTokenMilliseconds, measured: 36, documentedPrediction: 30.8, documentedErrorPercent: -14.4),
        Row(id: "F5", half: .fit, device: .h100SXM, model: "llama-2-70b", tensorParallel: 4, batch: 1, inputTokens: 128, outputTokens: 1, metric: .firstTokenMilliseconds, measured: 26, documentedPrediction: 28.7, documentedErrorPercent: 10.3),
        Row(id: "H5", half: .heldOut, device: .h100SXM, model: "llama-2-70b", tensorParallel: 4, batch: 1, inputTokens: 2048, outputTokens: 1, metric: .firstTokenMilliseconds, measured: 109, documentedPrediction: 110.5, documentedErrorPercent: 1.4),
        Row(id: "F6", half: .fit, device: .h200SXM, model: "llama-2-13b", tensorParallel: 1, batch: 1024, inputTokens: 128, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 11_819, documentedPrediction: 12_235.7, documentedErrorPercent: 3.5),
        Row(id: "H6", half: .heldOut, device: .h200SXM, model: "llama-2-13b", tensorParallel: 1, batch: 128, inputTokens: 128, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 4_750, documentedPrediction: 5_618.2, documentedErrorPercent: 18.3),
        Row(id: "F7", half: .fit, device: .h200SXM, model: "llama-2-13b", tensorParallel: 1, batch: 64, inputTokens: 2048, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 1_349, documentedPrediction: 1_321.1, documentedErrorPercent: -2.1),
        Row(id: "H7", half: .heldOut, device: .h200SXM, model: "llama-2-70b", tensorParallel: 1, batch: 512, inputTokens: 128, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 3_014, documentedPrediction: 3_092.1, documentedErrorPercent: 2.6),
        Row(id: "X3", half: .outsideModel, device: .h200SXM, model: "llama-2-70b", tensorParallel: 2, batch: 512, inputTokens: 128, outputTokens: 2048, metric: .outputTokensPerSecondPerGPU, measured: 1_654, documentedPrediction: 3_257.6, documentedErrorPercent: 97.0),
        Row(id: "F8", half: .fit, device: .h200SXM, model: "llama-2-70b", tensorParallel: 1, batch: 64, inputTokens: 2048, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 341, documentedPrediction: 367.9, documentedErrorPercent: 7.9),
        Row(id: "H8", half: .heldOut, device: .h200SXM, model: "llama-2-70b", tensorParallel: 1, batch: 32, inputTokens: 2048, outputTokens: 128, metric: .outputTokensPerSecondPerGPU, measured: 303, documentedPrediction: 328.9, documentedErrorPercent: 8.6),
    ]

    static func predict(_ row: Row) throws -> Double {
        let profile = try ModelCatalog.standard.profile(named: row.model, weights: .fp8, kv: .fp8)
        let model = CostModel(profile: profile, device: row.device, tensorParallel: row.tensorParallel, fractions: .calibrated)
        let run = model.staticBatch(batchSize: row.batch, inputTokens: row.inputTokens, outputTokens: row.outputTokens)
        switch row.metric {
        case .outputTokensPerSecondPerGPU: return run.outputTokensPerSecond / Double(row.tensorParallel)
        case .firstTokenMilliseconds: return run.firstTokenSeconds * 1000
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    @Test(arguments: FidelityTests.rows.map(\.id))
    func predictionMatchesTheDocument(id: String) throws {
        let row = try #require(Self.rows.first { $0.id == id })
        let prediction = try Self.predict(row)
        #expect(abs(prediction - row.documentedPrediction) <= max(0.1, 0.001 * row.documentedPrediction), "\(id): \(prediction)")
        let errorPercent = (prediction / row.measured - 1) * 100
        #expect(abs(errorPercent - row.documentedErrorPercent) <= 0.1, "\(id): \(errorPercent)%")
    }

    @Test func heldOutHalfMeetsTheGoal() throws {
        let heldOut = Self.rows.filter { $0.half == .heldOut }
        let fit = Self.rows.filter { $0.half == .fit }
        #expect(heldOut.count == 8 && fit.count == 8)
        let errors = try heldOut.map { abs(try Self.predict($0) / $0.measured - 1) }
        #expect(Self.median(errors) <= 0.15)
        #expect(errors.allSatisfy { $0 <= 0.35 })
        // The doc's summary figures.
        #expect(abs(Self.median(errors) - 0.082) < 0.001)
        #expect(abs((errors.max() ?? 0) - 0.183) < 0.001)
    }
}
