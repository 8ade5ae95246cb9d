/// One replica to pin: a model profile over a tensor-parallel group, with the KV it reserves.
public struct ReplicaRequest: Sendable, Hashable {
    /// Unique name of the replica in the fleet, e.g. `llama-3.1-70b#0`.
    public var name: String
    public var profile: ModelProfile
    public var tensorParallel: Int
    /// Tokens of KV (across all its sequences) the replica reserves.
    public var kvReserveTokens: Int
    /// Most tokens one iteration processes (chunked-prefill budget): sizes the activations.
    public var maxBatchTokens: Int

    /// 65,536 KV tokens: 256 sequences of 256 tokens, or 16 of 4,096.
    public static let defaultKVReserveTokens = 65_536
    /// vLLM's default `max_num_batched_tokens` with chunked prefill on large GPUs.
    public static let defaultMaxBatchTokens = 8_192
    /// CUDA context, cuBLAS and NCCL workspaces, per device: vLLM's memory profiler reports
    /// 0.5–1 GiB of such "non-torch" memory on H100; the upper end is taken.
    public static let workspaceBytes = 1 << 30

    public init(
        name: String, profile: ModelProfile, tensorParallel: Int = 1,
        kvReserveTokens: Int = ReplicaRequest.defaultKVReserveTokens, maxBatchTokens: Int = ReplicaRequest.defaultMaxBatchTokens
    ) {
        self.name = name
        self.profile = profile
        self.tensorParallel = tensorParallel
        self.kvReserveTokens = kvReserveTokens
        self.maxBatchTokens = maxBatchTokens
    }

    /// What each device of the TP group commits: its weight shard, its KV heads' share of the
    /// reserve, and the activations of a full `maxBatchTokens` step (hidden states, q/k/v/o and
    /// MLP intermediates in BF16, FP32 logits for up to 256 sampled rows) plus the workspace.
    public var allocationPerDevice: HBMAllocation {
        let tp = Double(max(self.tensorParallel, 1))
        let profile = self.profile
        let weights = (Double(profile.weightBytes) / tp).rounded(.up)
        let kvPerToken = Double(
            profile.layers * 2 * profile.kvHeadsPerDevice(tensorParallel: max(self.tensorParallel, 1)) * profile.headSize
                * profile.kvFormat.bytesPerElement
        )
        let kv = kvPerToken * Double(max(self.kvReserveTokens, 0))
        let widthPerToken = 4 * Double(profile.hiddenSize) + 2 * Double(profile.intermediateSize * profile.expertsPerToken) / tp
        let activations = Double(max(self.maxBatchTokens, 0)) * widthPerToken * 2 + 256 * Double(profile.vocabularySize) * 4 / tp
        // Computed in Double and capped so that absurd requests (from a config file or an
        // admin call) are refused as too large by placement instead of overflowing.
        func bytes(_ value: Double) -> Int { Int(min(value, 1e17)) }
        return HBMAllocation(
            replica: self.name, weightBytes: bytes(weights), kvBytes: bytes(kv),
            reserveBytes: bytes(activations) + Self.workspaceBytes
        )
    }
}

/// Where a replica landed and what it holds on each device of its group.
public struct Placement: Sendable, Hashable, Codable {
    public var replica: String
    public var model: String
    public var tensorParallel: Int
    public var devices: [DeviceID]
    public var perDevice: HBMAllocation
}
