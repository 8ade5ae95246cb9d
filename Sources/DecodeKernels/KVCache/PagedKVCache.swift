/// The preallocated storage of a paged KV cache: for every layer, `blockCount` blocks of
/// `tokensPerBlock` tokens, keys and values, in one of the `KVCacheFormat`s. Which sequence
/// owns which block is `KVBlockPool`'s business; this type only stores and copies.
///
/// Layout, chosen for the attention kernel: storage is [layer][KV head][block], one tile per
/// (layer, KV head, block), so one attention item — a sequence and a KV head — reads tiles of
/// one contiguous region, in address order wherever its blocks were allocated in order (a
/// stream the hardware prefetcher follows). A tile holds
///
///     K elements  headDim × 16, dimension-major (the 16 tokens of one dimension adjacent),
///     V elements  16 × headDim, token-major (one token's row contiguous),
///     K scales    16 Floats, V scales 16 Floats (int8 and fp8 only),
///     K anchor    headDim halves (int8 and fp8 only): the block's key anchor (see below).
///
/// Key anchor (int8 and fp8): SmolLM2's keys of one head share a large common part from token
/// to token (RoPE'd outlier channels, a per-head bias), so a key quantized on its own spends
/// most of its levels on that part. Each (block, KV head) tile keeps its first key (slot 0,
/// rotated) in fp16 as an anchor, and every key of the block is stored as its difference from
/// the anchor, quantized with its own per-(token, head) scale as before. Attention adds the
/// anchor's part of the score, q·anchor, once per block and head. The first key of a block is
/// therefore stored to fp16 precision, the others with the residual's smaller scale. A block's
/// slot 0 must be written before its other slots (as `KVBlockPool.append` hands them out): a
/// later slot-0 write moves the anchor under keys already stored.
///
/// Dimension-major keys let the kernel score all 16 tokens of a block at once as one vector,
/// with no horizontal sums; token-major values let it add a weighted row per token. Every tile
/// starts on a 64-byte boundary.
///
/// `@unchecked Sendable`: `storage` is allocated and zeroed once in `init` and freed in
/// `deinit`; the configuration is immutable. Writers touch only the (layer, block) regions of
/// blocks their sequence holds in the caller's `KVBlockPool`, and the caller (a replica's step
/// loop) never writes a block while a kernel reads it, so no two threads race on one byte.
public final class PagedKVCache: @unchecked Sendable {
    /// Tokens per block.
    public static let tokensPerBlock = 16

    public let layers: Int
    public let kvHeads: Int
    public let headDim: Int
    public let blockCount: Int
    public let format: KVCacheFormat

    /// Bytes of one KV head's tile (K and V elements, then scales) in one block.
    let tileBytes: Int
    /// Byte offsets inside a tile.
    let valueOffset: Int
    let keyScaleOffset: Int
    let valueScaleOffset: Int
    /// Where the key anchor (headDim halves) starts; 0 for fp16, which has none.
    let anchorOffset: Int
    let storage: UnsafeMutableRawPointer

    /// Bytes the whole pool occupies.
    public let totalBytes: Int

    public init(layers: Int, kvHeads: Int, headDim: Int, blockCount: Int, format: KVCacheFormat = .defaultFormat)
        throws(KVCacheError)
    {
        guard layers > 0, kvHeads > 0, blockCount > 0 else {
            throw .invalidConfiguration("layers (\(layers)), KV heads (\(kvHeads)) and blocks (\(blockCount)) must be positive")
        }
        guard headDim > 0, headDim % 16 == 0 else {
            throw .invalidConfiguration("head dimension \(headDim) is not a positive multiple of 16")
        }
        guard blockCount <= Int(Int32.max) else {
            throw .invalidConfiguration("\(blockCount) blocks do not fit 32-bit block ids")
        }
        let tokens = Self.tokensPerBlock
        let elementBytes = tokens * headDim * format.bytesPerElement
        let scaleBytes = format.hasScales ? tokens * MemoryLayout<Float>.stride : 0
        let anchorBytes = format.hasScales ? headDim * MemoryLayout<UInt16>.stride : 0
        let tile = (2 * elementBytes + 2 * scaleBytes + anchorBytes + 63) / 64 * 64
        let (perLayer, overflow1) = (tile * kvHeads).multipliedReportingOverflow(by: blockCount)
        let (total, overflow2) = perLayer.multipliedReportingOverflow(by: layers)
        guard !overflow1, !overflow2 else {
            throw .invalidConfiguration("the pool's size overflows")
        }
        self.layers = layers
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.blockCount = blockCount
        self.format = format
        self.tileBytes = tile
        self.valueOffset = elementBytes
        self.keyScaleOffset = 2 * elementBytes
        self.valueScaleOffset = 2 * elementBytes + scaleBytes
        self.anchorOffset = format.hasScales ? 2 * elementBytes + 2 * scaleBytes : 0
        self.totalBytes = total
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 64), alignment: 64)
        // Zeroed, so a slot read before it is written holds a finite value in every format.
        self.storage.initializeMemory(as: UInt8.self, repeating: 0, count: total)
    }

    deinit {
        self.storage.deallocate()
    }

    /// Bytes one token occupies across all layers, keys and values, scales and its share of
    /// the blocks' key anchors included.
    public var bytesPerToken: Int {
        self.layers * self.kvHeads * self.format.bytesPerTokenPerHead(headDim: self.headDim)
    }

    /// Bytes one token occupies in one layer (what attention reads per token and layer).
    public var bytesPerTokenPerLayer: Int {
        self.bytesPerToken / self.layers
    }

    /// The start of KV head `head`'s tile in `block` of `layer`; the caller has checked ranges.
    @inline(__always)
    func tile(layer: Int, block: Int, head: Int) -> UnsafeMutableRawPointer {
        self.storage + ((layer * self.kvHeads + head) * self.blockCount + block) * self.tileBytes
    }
}
