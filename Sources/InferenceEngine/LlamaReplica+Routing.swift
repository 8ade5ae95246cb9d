import BatchScheduling
import GatewayCore

extension LlamaReplica {
    /// The prompt's token ids as the replica would schedule them: the router hashes their
    /// blocks to find the replica whose prefix cache holds the longest match.
    public func promptTokenIDs(_ prompt: Prompt) throws -> [Int32] {
        try self.tokens(for: prompt)
    }

    /// The block hashes the replica's prefix cache held after its last step.
    public var prefixCache: PrefixCacheView { self.loop.prefixCache }
}
