/// Time of one iteration of one replica on its TP group, from the batch the scheduler built.
///
/// Per device and per layer, two rooflines: the layer's matmuls (weight bytes streamed, the
/// experts the batch touches included, against 2 FLOPs per active parameter and token) and
/// attention (each sequence's KV read for its context plus the new KV written, against the
/// QKᵀ and PV FLOPs under the causal mask). Each takes the longer of its bytes over the
/// achieved bandwidth and its FLOPs over the achieved compute, so a small batch is bandwidth
/// bound and a prefill chunk compute bound. Then the LM head, two all-reduces per layer over
/// NVLink when TP > 1, and a fixed per-iteration overhead. The achieved fractions blend the
/// decode and prefill factors by the batch's share of prefill tokens.
public struct CostModel: Sendable {
    public let profile: ModelProfile
    public let device: DeviceSpec
    public let tensorParallel: Int
    public let fractions: AchievedFractions
    /// How decode attention reads a grouped-query KV cache (today's kernels share it).
    public let attentionKernel: AttentionKernel

    public init(
        profile: ModelProfile, device: DeviceSpec = .h200SXM, tensorParallel: Int = 1,
        fractions: AchievedFractions = .calibrated, attentionKernel: AttentionKernel = .groupShared
    ) {
        self.profile = profile
        self.device = device
        self.tensorParallel = max(tensorParallel, 1)
        self.fractions = fractions
        self.attentionKernel = attentionKernel
    }

    /// How long the iteration that processes `batch` takes on the simulated device.
    public func duration(of batch: [SequenceStep]) -> Duration {
        .seconds(self.cost(of: batch).seconds)
    }

    /// The iteration's bytes, FLOPs and time, per device of the TP group.
    public func cost(of batch: [SequenceStep]) -> IterationCost {
        var totals = BatchTotals()
        for step in batch { totals.add(step) }
        return self.cost(of: totals)
    }

    /// The same for a batch given by its totals (a static batch is `count` copies of one step).
    public func cost(of totals: BatchTotals) -> IterationCost {
        let profile = self.profile
        let tp = Double(self.tensorParallel)
        let tokens = totals.tokens
        let prefillTokens = totals.prefillTokens
        let contextTokens = totals.contextTokens
        let attendedPairs = totals.attendedPairs
        let sequences = totals.sequences
        guard tokens > 0 else { return IterationCost() }

        let prefillShare = Double(prefillTokens) / Double(tokens)
        let fractions = self.fractions
        let bandwidth = self.device.memoryBandwidth
            * (fractions.decodeBandwidth * (1 - prefillShare) + fractions.prefillBandwidth * prefillShare)
        let computeShare = fractions.decodeCompute * (1 - prefillShare) + fractions.prefillCompute * prefillShare
        let matmulFLOPS = self.device.peakFLOPS(profile.math) * computeShare
        let bf16FLOPS = self.device.bf16FLOPS * computeShare

        // One layer's matmuls: the weights the batch touches, read once.
        let touchedParameters = Double(profile.attentionParametersPerLayer + profile.routerParametersPerLayer)
            + profile.expectedExpertsTouched(tokens: tokens) * Double(profile.expertParameters)
        let layerWeightBytes = touchedParameters * profile.layerBytesPerParameter / tp
        let layerMatmulFLOPs = 2 * Double(tokens) * Double(profile.activeParametersPerLayer) / tp

        // One layer's attention over this device's heads.
        let kvPerToken = Double(
            2 * profile.kvHeadsPerDevice(tensorParallel: self.tensorParallel) * profile.headSize
                * profile.kvFormat.bytesPerElement
        )
        let layerKVRead = Double(contextTokens) * kvPerToken
        let layerKVWrite = Double(tokens) * kvPerToken
        let layerAttentionFLOPs = 4 * Double(profile.attentionHeads) / tp * Double(profile.headSize) * attendedPairs

        let layers = Double(profile.layers)
        let matmulSeconds = max(layerWeightBytes / bandwidth, layerMatmulFLOPs / matmulFLOPS)
        var attentionSeconds = max((layerKVRead + layerKVWrite) / bandwidth, layerAttentionFLOPs / bf16FLOPS)
        if self.attentionKernel == .perQueryHead {
            // Every query head's loads of its KV head, L2 hits included, at the kernel's rate.
            let loads = layerKVRead * self.attentionKernel.loadsPerKVByte(
                queryHeads: profile.attentionHeads / self.tensorParallel,
                kvHeads: profile.kvHeadsPerDevice(tensorParallel: self.tensorParallel))
            attentionSeconds = max(attentionSeconds, (loads + layerKVWrite) / fractions.perQueryHeadLoadRate)
        }

        // LM head over each sequence's last position, vocabulary split across the group.
        let headBytes = profile.headWeightBytes / tp
        let headFLOPs = 2 * Double(sequences) * Double(profile.embeddingParameters) / tp
        let headSeconds = max(headBytes / bandwidth, headFLOPs / bf16FLOPS)

        // Ring all-reduce of the BF16 hidden states after attention and after the MLP.
        var allReduceSeconds = 0.0
        if self.tensorParallel > 1 {
            let message = Double(tokens * profile.hiddenSize * 2)
            let perAllReduce = fractions.allReduceLatency
                + 2 * (tp - 1) / tp * message / (self.device.nvlinkBandwidthPerDirection * fractions.nvlinkBandwidth)
            allReduceSeconds = 2 * layers * perAllReduce
        }

        return IterationCost(
            weightBytes: layers * layerWeightBytes + headBytes,
            kvReadBytes: layers * layerKVRead,
            kvWriteBytes: layers * layerKVWrite,
            flops: layers * (layerMatmulFLOPs + layerAttentionFLOPs) + headFLOPs,
            layerSeconds: layers * (matmulSeconds + attentionSeconds),
            headSeconds: headSeconds,
            allReduceSeconds: allReduceSeconds,
            overheadSeconds: fractions.iterationOverhead
        )
    }
}

/// One iteration's traffic and time on each device of the TP group.
public struct IterationCost: Sendable, Hashable, Codable {
    public var weightBytes = 0.0
    public var kvReadBytes = 0.0
    public var kvWriteBytes = 0.0
    public var flops = 0.0
    /// The layers' rooflines (matmuls plus attention, all layers).
    public var layerSeconds = 0.0
    public var headSeconds = 0.0
    public var allReduceSeconds = 0.0
    public var overheadSeconds = 0.0

    public init() {}

    public init(
        weightBytes: Double, kvReadBytes: Double, kvWriteBytes: Double, flops: Double, layerSeconds: Double,
        headSeconds: Double, allReduceSeconds: Double, overheadSeconds: Double
    ) {
        self.weightBytes = weightBytes
        self.kvReadBytes = kvReadBytes
        self.kvWriteBytes = kvWriteBytes
        self.flops = flops
        self.layerSeconds = layerSeconds
        self.headSeconds = headSeconds
        self.allReduceSeconds = allReduceSeconds
        self.overheadSeconds = overheadSeconds
    }

    public var bytes: Double { self.weightBytes + self.kvReadBytes + self.kvWriteBytes }
    public var seconds: Double { self.layerSeconds + self.headSeconds + self.allReduceSeconds + self.overheadSeconds }
    public var duration: Duration { .seconds(self.seconds) }
}
