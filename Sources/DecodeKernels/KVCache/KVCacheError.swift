/// Errors of the KV cache, its block bookkeeping and the attention kernel's argument checks.
/// Every misuse is a thrown value with a one-line description, never a crash.
public enum KVCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A cache or pool was configured with sizes it cannot hold.
    case invalidConfiguration(String)
    /// An allocation needed more blocks than the pool has free.
    case outOfBlocks(needed: Int, free: Int)
    /// A block was released more often than it was allocated or shared.
    case doubleFree(block: Int32)
    /// A block id outside the pool.
    case unknownBlock(Int32)
    /// An index, count or shape that does not fit the cache it is used with.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return "invalid KV cache configuration: \(message)"
        case .outOfBlocks(let needed, let free):
            return "KV cache out of blocks: needed \(needed), \(free) free"
        case .doubleFree(let block):
            return "KV block \(block) released while not in use"
        case .unknownBlock(let block):
            return "KV block \(block) is not a block of this pool"
        case .invalidArgument(let message):
            return "invalid KV cache argument: \(message)"
        }
    }
}
