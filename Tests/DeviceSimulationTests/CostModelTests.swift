import DeviceSimulation
import Testing

@Suite struct CostModelTests {
    let llama8B: ModelProfile

    init() throws {
        self.llama8B = try ModelCatalog.standard.profile(named: "llama-3.1-8b", weights: .bf16, kv: .fp16)
    }

    func close(_ value: Double, _ expected: Double, _ tolerance: Double = 1e-6) -> Bool {
        abs(value - expected) <= tolerance * abs(expected)
    }

    @Test func publishedParameterCountsMatch() throws {
        let catalog = ModelCatalog.standard
        // Published sizes: 8.03B, 70.6B, 405.9B, 46.7B.
        let expected: [(String, Double)] = [
            ("llama-3.1-8b", 8.03e9), ("llama-3.1-70b", 70.6e9), ("llama-3.1-405b", 405.9e9), ("mixtral-8x7b", 46.7e9),
        ]
        for (name, parameters) in expected {
            let profile = try catalog.profile(named: name)
            #expect(self.close(Double(profile.totalParameters), parameters, 0.005), "\(name): \(profile.totalParameters)")
        }
        #expect(self.llama8B.weightBytes == 16_059_990_016)
        // FP8 halves the layers but keeps the embedding and LM head in BF16.
        let fp8 = try catalog.profile(named: "llama-3.1-8b", weights: .fp8)
        #expect(fp8.weightBytes == 6_979_321_856 + 2 * 1_050_673_152)
    }

    /// Llama-3.1-8B BF16, batch 1 decode, full efficiency: the 16.1 GB / 4.8 TB/s =
    /// 3.35 ms counts every weight; a decode step streams all but the input embedding table
    /// (1.05 GB of which it reads one row), 15.01 GB → 3.13 ms, plus 4 KiB of KV per layer.
    @Test func llama8BDecodeIsTheBandwidthRoofline() {
        let model = CostModel(profile: self.llama8B, device: .h200SXM, fractions: .ideal)
        #expect(self.close(Double(self.llama8B.weightBytes) / 4.8e12, 3.346e-3, 1e-3))
        let cost = model.cost(of: [.decode(contextTokens: 1)])
        #expect(cost.weightBytes == 15_009_316_864)
        #expect(cost.kvReadBytes == 32 * 4096)
        #expect(cost.kvWriteBytes == 32 * 4096)
        #expect(self.close(cost.seconds, (15_009_316_864 + 2 * 32 * 4096) / 4.8e12))
        #expect(self.close(cost.seconds, 3.127e-3, 1e-3))
        #expect(cost.allReduceSeconds == 0 && cost.overheadSeconds == 0)
        // The H100's 3.35 TB/s makes the same step 4.8 / 3.35 times longer.
        let h100 = CostModel(profile: self.llama8B, device: .h100SXM, fractions: .ideal).cost(of: [.decode(contextTokens: 1)])
        #expect(self.close(h100.seconds / cost.seconds, 4.8 / 3.35))
    }

    /// One 8,192-token prefill is compute bound: 2 FLOPs per parameter per token in the layers
    /// at 989 TFLOPS, plus QKᵀ and PV over the causal triangle, plus the LM head for the last
    /// position (bandwidth bound: 1.05 GB).
    @Test func llama8BPrefillIsTheComputeRoofline() {
        let model = CostModel(profile: self.llama8B, device: .h200SXM, fractions: .ideal)
        let cost = model.cost(of: [.prefill(tokens: 8192)])
        let matmul = 2.0 * 8192 * 218_103_808 * 32 / 989e12
        let attention = 4.0 * 32 * 128 * (8192.0 * 8193 / 2) * 32 / 989e12
        let head = 1_050_673_152 / 4.8e12
        #expect(self.close(cost.seconds, matmul + attention + head))
        #expect(self.close(matmul, 0.1156, 1e-3))
    }

    /// Decode attention reads every sequence's context: 64 sequences of 4,096 tokens on
    /// Llama-3.1-70B FP8 weights and FP8 KV, TP2, each device holding 4 of the 8 KV heads.
    @Test func tensorParallelSplitsWeightsAndKVAndAddsAllReduces() throws {
        let profile = try ModelCatalog.standard.profile(named: "llama-3.1-70b", weights: .fp8, kv: .fp8)
        let batch = Array(repeating: SequenceStep.decode(contextTokens: 4096), count: 64)
        let one = CostModel(profile: profile, fractions: .ideal).cost(of: batch)
        let two = CostModel(profile: profile, tensorParallel: 2, fractions: .ideal).cost(of: batch)
        #expect(self.close(two.weightBytes, one.weightBytes / 2))
        #expect(two.kvReadBytes == 64 * 4096 * 80 * 2 * 4 * 128 * 1)
        #expect(self.close(two.kvReadBytes, one.kvReadBytes / 2))
        // 160 all-reduces of 64 × 8,192 BF16 values, a ring moving 2(n−1)/n of it at 450 GB/s.
        #expect(self.close(two.allReduceSeconds, 160 * (64.0 * 8192 * 2) / 450e9))
        #expect(one.allReduceSeconds == 0)
        #expect(two.seconds < one.seconds)
    }

    /// A per-query-head kernel (TensorRT-LLM v0.5–v0.6) loads each KV head once per query
    /// head: Llama-3.1-70B FP8 KV at TP2 holds 32 query heads over 4 KV heads per device, so 64
    /// sequences of 4,096 tokens load 8 × the KV read at the kernel's rate, by hand. A batch
    /// given by its totals costs what the same batch as an array does.
    @Test func aPerQueryHeadKernelLoadsTheKVOncePerQueryHead() throws {
        let profile = try ModelCatalog.standard.profile(named: "llama-3.1-70b", weights: .fp8, kv: .fp8)
        var fractions = AchievedFractions.ideal
        fractions.perQueryHeadLoadRate = 2e12
        let batch = Array(repeating: SequenceStep.decode(contextTokens: 4096), count: 64)
        let shared = CostModel(profile: profile, tensorParallel: 2, fractions: fractions).cost(of: batch)
        let perHead = CostModel(profile: profile, tensorParallel: 2, fractions: fractions, attentionKernel: .perQueryHead)
            .cost(of: batch)
        let kvRead = 64.0 * 4096 * 2 * 4 * 128
        let kvWrite = 64.0 * 2 * 4 * 128
        let attentionShared = 80 * (kvRead + kvWrite) / 4.8e12
        let attentionPerHead = 80 * (8 * kvRead + kvWrite) / 2e12
        #expect(self.close(perHead.layerSeconds - shared.layerSeconds, attentionPerHead - attentionShared))
        #expect(perHead.kvReadBytes == shared.kvReadBytes)
        let totals = BatchTotals(.decode(contextTokens: 4096), count: 64)
        #expect(CostModel(profile: profile, tensorParallel: 2).cost(of: totals) == CostModel(profile: profile, tensorParallel: 2).cost(of: batch))
    }

    @Test func mixtureOfExpertsReadsTheExpertsItTouches() throws {
        let mixtral = try ModelCatalog.standard.profile(named: "mixtral-8x7b", weights: .bf16)
        #expect(self.close(mixtral.expectedExpertsTouched(tokens: 1), 2))
        #expect(mixtral.expectedExpertsTouched(tokens: 256) > 7.99)
        let model = CostModel(profile: mixtral, fractions: .ideal)
        let single = model.cost(of: [.decode(contextTokens: 1)])
        let wide = model.cost(of: Array(repeating: .decode(contextTokens: 1), count: 256))
        let layerFixed = Double(mixtral.attentionParametersPerLayer + mixtral.routerParametersPerLayer)
        let expert = Double(mixtral.expertParameters)
        #expect(self.close(single.weightBytes, 32 * (layerFixed + 2 * expert) * 2 + mixtral.headWeightBytes))
        #expect(self.close(wide.weightBytes, 32 * (layerFixed + 8 * expert) * 2 + mixtral.headWeightBytes, 1e-3))
        // FLOPs count the two routed experts only, whatever the batch; attention adds QKᵀ and PV
        // over the cached token and the new one.
        let attention = 32.0 * 4 * 32 * 128 * 2
        #expect(self.close(single.flops, 2 * 32 * Double(mixtral.activeParametersPerLayer) + 2 * Double(mixtral.embeddingParameters) + attention))
    }

    @Test func moreContextAndMoreTokensNeverCostLess() {
        let model = CostModel(profile: self.llama8B)
        var previous = 0.0
        for context in [1, 512, 4096, 32768] {
            let seconds = model.cost(of: Array(repeating: .decode(contextTokens: context), count: 32)).seconds
            #expect(seconds > previous)
            previous = seconds
        }
        #expect(model.cost(of: []).seconds == 0)
        #expect(model.duration(of: [.decode(contextTokens: 100)]) > .zero)
        #expect(model.duration(of: [.prefill(tokens: 2048)]) > model.duration(of: [.prefill(tokens: 256)]))
    }

    @Test func profileFromGGUFConfigurationValues() throws {
        let configuration = LlamaConfiguration(
            layers: 30, hiddenSize: 576, attentionHeads: 9, kvHeads: 3, intermediateSize: 1536, vocabularySize: 49152,
            tiedEmbeddings: true
        )
        let profile = try ModelProfile(name: "smollm2", configuration: configuration, weightBytes: 98_362_432, weightLabel: "Q4_1")
        #expect(profile.headSize == 64)
        #expect(profile.kvBytesPerToken == 30 * 2 * 3 * 64 * 2)
        #expect(profile.totalParameters == 134_479_872)
        #expect(throws: DeviceSimulationError.self) {
            try ModelProfile(
                name: "bad", configuration: LlamaConfiguration(layers: 0, hiddenSize: 576, attentionHeads: 9, kvHeads: 3, intermediateSize: 1, vocabularySize: 1),
                weightBytes: 1, weightLabel: "Q4_1")
        }
        #expect(throws: DeviceSimulationError.self) {
            try ModelProfile(
                name: "bad", configuration: LlamaConfiguration(layers: 1, hiddenSize: 576, attentionHeads: 9, kvHeads: 4, intermediateSize: 1, vocabularySize: 1),
                weightBytes: 1, weightLabel: "Q4_1")
        }
        // Values that would overflow the parameter count are refused, not trapped on.
        #expect(throws: DeviceSimulationError.self) {
            try ModelProfile(
                name: "hostile", configuration: LlamaConfiguration(layers: 1 << 20, hiddenSize: 1 << 20, attentionHeads: 1, kvHeads: 1, intermediateSize: 1 << 24, vocabularySize: 1, experts: 1 << 20),
                weightBytes: 1, weightLabel: "Q4_1")
        }
    }
}
