/// How a runtime's decode-attention kernel reads a grouped-query model's KV cache: the one
/// kernel property the datasheet and the achieved fractions cannot express, because it
/// changes the bytes moved rather than the rate they move at.
public enum AttentionKernel: String, Sendable, Hashable, Codable, CaseIterable {
    /// Each KV head is read once for its whole query group: TensorRT-LLM's XQA kernel (v0.7
    /// on), FlashAttention-2/3 and FlashInfer, the kernels serving runtimes use today.
    case groupShared
    /// Each query head loads its KV head's cache on its own (one thread block per sequence and
    /// query head, CUDA cores, FP8 converted element by element): TensorRT-LLM v0.5–v0.6's
    /// masked multi-head attention. A group of g query heads issues g times the KV loads (the
    /// repeats mostly hit L2), and the kernel's loads are latency bound: they reach
    /// `AchievedFractions.perQueryHeadLoadRate` bytes per second whatever the HBM behind them.
    /// Evidence: NVIDIA's XQA blog (TensorRT-LLM v0.8a) reports that replacing this kernel gave
    /// Llama-70B on one H200 at 128/2048 2.4× the throughput (1,227 → 2,941 tok/s/GPU); and
    /// in the fidelity table the H200 (4.8 TB/s) runs Llama-2-70B TP4 at 128/2048 only 1.11×
    /// faster per GPU than the H100 (3.35 TB/s) at a 1.07× larger batch (rows F9 and H3).
    case perQueryHead

    /// Loads of each cached KV byte per step, on a device holding `queryHeads` query heads
    /// over `kvHeads` KV heads.
    func loadsPerKVByte(queryHeads: Int, kvHeads: Int) -> Double {
        switch self {
        case .groupShared: 1
        case .perQueryHead: max(1, Double(queryHeads) / Double(max(kvHeads, 1)))
        }
    }
}
