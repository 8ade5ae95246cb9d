/// What real kernels achieve of the datasheet's peaks. Each factor is a named parameter with
/// where its value comes from; `calibrated` holds the values fitted on the fit half of the
/// fidelity table in Docs/SIMULATOR.md (the held-out half checks them; the test
/// `FidelityTests` recomputes both halves).
public struct AchievedFractions: Sendable, Hashable, Codable {
    /// Share of peak HBM bandwidth the decode step's weight and KV reads reach. Prior: memory-
    /// bound GEMV/attention kernels on H100 reach 70–90% of peak (NVIDIA's XQA kernel blog
    /// reports ~85% for decode attention); fitted value in `calibrated`.
    public var decodeBandwidth: Double
    /// Share of peak tensor-core FLOPS decode GEMMs reach once a large batch makes them
    /// compute-bound. Prior: skinny GEMMs (M ≤ 1024) reach 50–70% of peak.
    public var decodeCompute: Double
    /// Share of peak bandwidth during prefill (weights are read once per chunk).
    public var prefillBandwidth: Double
    /// Share of peak FLOPS prefill reaches. Prior: large BF16/FP8 GEMMs reach 60–75% of the
    /// dense peak on H100 (cuBLAS/CUTLASS), FlashAttention-3 reports ~75% BF16.
    public var prefillCompute: Double
    /// Share of NVLink's one-way bandwidth an all-reduce's bus bandwidth reaches. Source:
    /// nccl-tests on 8×H100 NVSwitch report all-reduce bus bandwidth of ~360–480 GB/s for large
    /// messages against 450 GB/s per direction; 0.8 is taken.
    public var nvlinkBandwidth: Double
    /// Fixed latency of one all-reduce across the TP group, in seconds. Source: TensorRT-LLM's
    /// custom one-shot all-reduce and NCCL's LL protocol take ~5–15 µs for the small messages
    /// of decode; fitted value in `calibrated`.
    public var allReduceLatency: Double
    /// Fixed cost per iteration (scheduling, sampling, kernel launches under CUDA graphs), in
    /// seconds; fitted value in `calibrated`.
    public var iterationOverhead: Double
    /// Bytes per second (per device, L2 hits included) the loads of a per-query-head decode
    /// attention kernel reach (`AttentionKernel.perQueryHead`, TensorRT-LLM v0.5–v0.6): a
    /// latency-bound rate set by the loads each SM keeps in flight, the same on an H100 and an
    /// H200 (132 SMs each). Fitted; no effect on the group-shared kernels of today.
    public var perQueryHeadLoadRate: Double

    public init(
        decodeBandwidth: Double, decodeCompute: Double, prefillBandwidth: Double, prefillCompute: Double,
        nvlinkBandwidth: Double, allReduceLatency: Double, iterationOverhead: Double,
        perQueryHeadLoadRate: Double = .infinity
    ) {
        self.decodeBandwidth = decodeBandwidth
        self.decodeCompute = decodeCompute
        self.prefillBandwidth = prefillBandwidth
        self.prefillCompute = prefillCompute
        self.nvlinkBandwidth = nvlinkBandwidth
        self.allReduceLatency = allReduceLatency
        self.iterationOverhead = iterationOverhead
        self.perQueryHeadLoadRate = perQueryHeadLoadRate
    }

    /// Every fraction 1 and no fixed costs: the pure roofline, for checks by hand.
    public static let ideal = AchievedFractions(
        decodeBandwidth: 1, decodeCompute: 1, prefillBandwidth: 1, prefillCompute: 1,
        nvlinkBandwidth: 1, allReduceLatency: 0, iterationOverhead: 0
    )

    /// Where the fit starts: each factor at its prior (the sources beside each field), the fixed
    /// costs at today's CUDA-graph runtimes' and the per-query-head load rate at an H100's HBM
    /// bandwidth.
    public static let priors = AchievedFractions(
        decodeBandwidth: 0.80, decodeCompute: 0.55, prefillBandwidth: 0.50, prefillCompute: 0.65,
        nvlinkBandwidth: 0.80, allReduceLatency: 10e-6, iterationOverhead: 0.5e-3, perQueryHeadLoadRate: 3.35e12
    )

    /// `fitted(on:from:)` from `priors` over the fit half of `FidelityTable.published` (the
    /// test `FidelityTests` repeats the fit and checks it lands here; `switchyard simulate
    /// --fidelity` prints the table). The rows are TensorRT-LLM v0.5–v0.6.1 measurements (2023):
    /// the compute fractions (0.45 decode, 0.55 prefill of the dense FP8 peak) are that
    /// runtime's FP8 GEMMs, below what FlashAttention-3-era kernels reach; the fixed costs came
    /// out small (0.6 ms per iteration, 5 µs per all-reduce, the bottom of the grid); the
    /// per-query-head load rate is 3.25 TB/s on both GPUs.
    public static let calibrated = AchievedFractions(
        decodeBandwidth: 0.80, decodeCompute: 0.45, prefillBandwidth: 0.30, prefillCompute: 0.55,
        nvlinkBandwidth: 0.80, allReduceLatency: 5e-6, iterationOverhead: 0.6e-3, perQueryHeadLoadRate: 3.25e12
    )
}
