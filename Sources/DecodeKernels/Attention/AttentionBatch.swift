/// Builds the `AttentionQuery` list of one `pagedAttention` call from block tables: the
/// tables' block ids are copied into one flat array, and every query token points into it.
/// Keep one per forward pass and `removeAll()` between steps; once its arrays have grown to a
/// step's size it allocates nothing.
public struct AttentionBatch {
    private var blockIDs: [Int32] = []
    /// Per query token: where its table starts in `blockIDs`, its block count, visible length.
    private var entries: [(start: Int, count: Int, visible: Int)] = []
    private var queries: [AttentionQuery] = []

    public init() {}

    /// Query tokens added so far.
    public var count: Int { self.entries.count }

    /// Forgets every token, keeping the storage.
    public mutating func removeAll() {
        self.blockIDs.removeAll(keepingCapacity: true)
        self.entries.removeAll(keepingCapacity: true)
    }

    /// Adds one query token per element of `visibleLengths`, all reading `table`: a decode
    /// token passes `[table.tokenCount]`; a prefill chunk at positions p..<q passes
    /// `(p + 1)...q` (each token sees itself and what precedes it).
    public mutating func append(table: BlockTable, visibleLengths: some Sequence<Int>) {
        let start = self.blockIDs.count
        self.blockIDs.append(contentsOf: table.blocks)
        for visible in visibleLengths {
            self.entries.append((start, table.blocks.count, visible))
        }
    }

    /// Calls `body` with the batch's queries, in the order they were added; the pointers they
    /// hold are valid only inside `body`.
    public mutating func withQueries<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<AttentionQuery>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let ids = self.blockIDs
        let entries = self.entries
        var queries = self.queries
        self.queries = []
        defer { self.queries = queries }
        return try ids.withUnsafeBufferPointer { (ids) throws(Failure) -> Result in
            // An empty table still needs a valid pointer; it is never read (visible lengths
            // are checked against block counts first).
            let base = ids.baseAddress ?? UnsafePointer(Self.placeholder)
            queries.removeAll(keepingCapacity: true)
            for entry in entries {
                queries.append(AttentionQuery(blocks: base + entry.start, blockCount: entry.count, visibleLength: entry.visible))
            }
            return try queries.withUnsafeBufferPointer { (batch) throws(Failure) -> Result in try body(batch) }
        }
    }

    /// A block id for empty batches to point at; written once here and never again, so
    /// sharing it across threads is safe.
    nonisolated(unsafe) private static let placeholder: UnsafeMutablePointer<Int32> = {
        let pointer = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        pointer.initialize(to: -1)
        return pointer
    }()
}
