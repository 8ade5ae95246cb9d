/// The published figures of one GPU model. Every rate is a peak; what kernels achieve of it
/// is `AchievedFractions`, kept apart so the datasheet stays the datasheet.
public struct DeviceSpec: Sendable, Hashable, Codable {
    public var name: String
    /// HBM that CUDA reports (nvidia-smi's total), in bytes: what placement may commit.
    public var memoryBytes: Int
    /// Peak HBM bandwidth, bytes per second.
    public var memoryBandwidth: Double
    /// Dense (no 2:4 sparsity) tensor-core peaks, FLOP per second.
    public var bf16FLOPS: Double
    public var fp8FLOPS: Double
    public var l2CacheBytes: Int
    /// NVLink bandwidth in one direction (half the datasheet's bidirectional total), bytes/s.
    public var nvlinkBandwidthPerDirection: Double
    /// PCIe Gen5 x16 in one direction, bytes per second.
    public var pcieBandwidthPerDirection: Double

    public init(
        name: String, memoryBytes: Int, memoryBandwidth: Double, bf16FLOPS: Double, fp8FLOPS: Double,
        l2CacheBytes: Int, nvlinkBandwidthPerDirection: Double, pcieBandwidthPerDirection: Double
    ) {
        self.name = name
        self.memoryBytes = memoryBytes
        self.memoryBandwidth = memoryBandwidth
        self.bf16FLOPS = bf16FLOPS
        self.fp8FLOPS = fp8FLOPS
        self.l2CacheBytes = l2CacheBytes
        self.nvlinkBandwidthPerDirection = nvlinkBandwidthPerDirection
        self.pcieBandwidthPerDirection = pcieBandwidthPerDirection
    }

    /// Tensor-core peak for matmuls in `format`.
    public func peakFLOPS(_ format: MathFormat) -> Double {
        switch format {
        case .bf16: self.bf16FLOPS
        case .fp8: self.fp8FLOPS
        }
    }

    static let mebibyte = 1 << 20

    /// NVIDIA H200 SXM datasheet: 141 GB HBM3e (nvidia-smi: 143,771 MiB), 4.8 TB/s, 989 TFLOPS
    /// BF16 and 1,979 TFLOPS FP8 dense (the headline 1,979 / 3,958 include 2:4 sparsity), 50 MB
    /// L2, NVLink 4 900 GB/s total through NVSwitch, PCIe Gen5 128 GB/s total.
    public static let h200SXM = DeviceSpec(
        name: "H200 SXM", memoryBytes: 143_771 * mebibyte, memoryBandwidth: 4.8e12,
        bf16FLOPS: 989e12, fp8FLOPS: 1_979e12, l2CacheBytes: 50_000_000,
        nvlinkBandwidthPerDirection: 450e9, pcieBandwidthPerDirection: 64e9
    )

    /// NVIDIA H100 SXM datasheet: 80 GB HBM3 (nvidia-smi: 81,559 MiB), 3.35 TB/s, the same
    /// tensor cores and NVLink as the H200.
    public static let h100SXM = DeviceSpec(
        name: "H100 SXM", memoryBytes: 81_559 * mebibyte, memoryBandwidth: 3.35e12,
        bf16FLOPS: 989e12, fp8FLOPS: 1_979e12, l2CacheBytes: 50_000_000,
        nvlinkBandwidthPerDirection: 450e9, pcieBandwidthPerDirection: 64e9
    )

    /// `h200` or `h100` (case-insensitive).
    public static func named(_ name: String) throws(DeviceSimulationError) -> DeviceSpec {
        switch name.lowercased() {
        case "h200", "h200-sxm", "h200sxm": return .h200SXM
        case "h100", "h100-sxm", "h100sxm": return .h100SXM
        default: throw DeviceSimulationError(.unknownProfile, "unknown device '\(name)' (known: h200, h100)")
        }
    }
}
