/// One query token of a `pagedAttention` batch: the block table of its sequence and how many
/// of the sequence's positions it attends to. A decode token sees every stored position
/// (its own included, written before the call); a prefill token at position p sees p + 1
/// (causal). Several tokens of one prefill chunk share one block table.
public struct AttentionQuery {
    /// The sequence's block ids, in position order.
    public var blocks: UnsafePointer<Int32>
    /// How many ids `blocks` holds.
    public var blockCount: Int
    /// Positions 0..<visibleLength are attended to; at least 1, at most blockCount × 16.
    public var visibleLength: Int

    public init(blocks: UnsafePointer<Int32>, blockCount: Int, visibleLength: Int) {
        self.blocks = blocks
        self.blockCount = blockCount
        self.visibleLength = visibleLength
    }
}
