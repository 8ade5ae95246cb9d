/// One sequence's share of a mixed batch: the tokens to run now (a prompt chunk, or the one
/// token being decoded), where they start, and the sequence's block table.
///
/// Positions `0..<startPosition` must already be in the cache (earlier calls wrote them);
/// the call writes positions `startPosition..<startPosition + tokens.count`, position p into
/// slot `p % 16` of block `blockTable[p / 16]`. The caller (the scheduler) grows the table
/// through `KVBlockPool.append` and performs any copy-on-write it asks for before the call.
public struct LlamaBatchEntry: Sendable, Equatable {
    public var tokens: [Int32]
    public var startPosition: Int
    public var blockTable: [Int32]
    /// Whether to return the next-token logits after the last token (false for a prompt
    /// chunk that is not the prompt's last).
    public var needsLogits: Bool
    /// With `needsLogits`: return the logits after every token of the entry, not only the
    /// last (prompt log-probabilities, accuracy measurements).
    public var logitsForEveryToken: Bool

    public init(
        tokens: [Int32], startPosition: Int, blockTable: [Int32], needsLogits: Bool = true,
        logitsForEveryToken: Bool = false
    ) {
        self.tokens = tokens
        self.startPosition = startPosition
        self.blockTable = blockTable
        self.needsLogits = needsLogits
        self.logitsForEveryToken = logitsForEveryToken
    }
}
