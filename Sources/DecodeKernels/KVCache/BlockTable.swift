/// The blocks one sequence's KV entries live in, in position order, and how many positions
/// are filled: position p is in `blocks[p / 16]`, slot `p % 16`. A table changes only through
/// its `KVBlockPool`, which keeps the blocks' reference counts in step with it.
public struct BlockTable: Sendable, Equatable {
    public internal(set) var blocks: [Int32]
    public internal(set) var tokenCount: Int

    /// An empty table, holding no blocks.
    public init() {
        self.blocks = []
        self.tokenCount = 0
    }
}

/// Where to store one new token: `slot` of `block`.
public struct KVSlot: Sendable, Equatable {
    public var block: Int32
    public var slot: Int

    public init(block: Int32, slot: Int) {
        self.block = block
        self.slot = slot
    }
}

/// What the caller must do with the cache after `KVBlockPool.append(tokens:to:)`: first the
/// copy (when the append went into a block shared with another table, that block was
/// replaced by a private one whose contents must be copied from the shared one), then write
/// each new token into its slot, in order.
public struct KVAppendPlan: Sendable, Equatable {
    /// The copy-on-write to perform before writing, if any.
    public var copy: (source: Int32, destination: Int32)?
    /// One slot per appended token, in position order.
    public var slots: [KVSlot]

    public static func == (lhs: KVAppendPlan, rhs: KVAppendPlan) -> Bool {
        lhs.copy?.source == rhs.copy?.source && lhs.copy?.destination == rhs.copy?.destination
            && lhs.slots == rhs.slots
    }
}
