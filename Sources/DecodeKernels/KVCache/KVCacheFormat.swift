/// How a paged KV cache stores its keys and values.
///
/// - `int8`: symmetric int8 with one Float scale per (token, KV head): scale = absmax / 127.
///   The default: a quarter of float32's bytes, and accurate enough for next-token agreement.
/// - `fp8`: fp8-e4m3 (the H200's native KV format) with one Float scale per (token, KV head):
///   scale = absmax / 448, so every value uses the format's full range.
/// - `fp16`: IEEE half precision, no scales; the accuracy reference.
///
/// int8 and fp8 quantize each row after an orthonormal Hadamard rotation (`KVRotation`),
/// which spreads outlier channels; attention rotates its queries and outputs to match. Their
/// keys are stored relative to a per-(block, KV head) fp16 anchor, the block's first key
/// (see `PagedKVCache`), so the per-(token, head) scale covers only what differs from it.
public enum KVCacheFormat: String, Sendable, CaseIterable {
    case int8
    case fp8 = "fp8"
    case fp16

    /// The format a cache uses unless configured otherwise.
    public static let defaultFormat: KVCacheFormat = .int8

    /// Bytes one stored element takes, scales excluded.
    public var bytesPerElement: Int {
        switch self {
        case .int8, .fp8: return 1
        case .fp16: return 2
        }
    }

    /// Bytes one token takes per layer and KV head: keys and values, their scales, and a 16th
    /// of its block's key anchor (headDim halves per block).
    public func bytesPerTokenPerHead(headDim: Int) -> Int {
        guard self.hasScales else { return 2 * headDim * self.bytesPerElement }
        let anchorShare = headDim * MemoryLayout<UInt16>.stride / PagedKVCache.tokensPerBlock
        return 2 * (headDim * self.bytesPerElement + MemoryLayout<Float>.stride) + anchorShare
    }

    /// Whether each (token, KV head) row carries a Float scale beside its elements (and each
    /// block a key anchor).
    public var hasScales: Bool {
        switch self {
        case .int8, .fp8: return true
        case .fp16: return false
        }
    }
}
