import DecodeKernels
import Synchronization

/// What runs a `LlamaModel`: work buffers sized once for `maxBatchTokens` tokens, the
/// matmul and attention scratch, and the thread pool. One context runs one forward pass at a
/// time (a replica's step loop owns one); several contexts may share a model.
///
/// `@unchecked Sendable`: the buffers are only touched inside `forward`, whose body runs
/// under `lock`, so two threads never use them at once.
public final class LlamaContext: @unchecked Sendable {
    public let model: LlamaModel
    public let maxBatchTokens: Int
    public let pool: ThreadPool
    /// Whether the matmuls keep their activations in float (`floatMatmul`) instead of rounding
    /// them to 8 bits: several times slower, for accuracy measurements that must not see the
    /// activation rounding (the KV-cache format comparison).
    public let floatActivations: Bool

    /// Logit rows computed per output-head matmul (bounds the logits scratch to
    /// `logitRowsPerPass × vocabulary` floats however many sequences a batch has).
    static let logitRowsPerPass = 16

    let lock = Mutex(())
    let matmulWorkspace: MatmulWorkspace
    let attentionWorkspace = AttentionWorkspace()
    /// Residual stream, `maxBatchTokens × embeddingLength`.
    let residual: UnsafeMutablePointer<Float>
    /// Normed activations (input of the Q/K/V and gate/up matmuls).
    let normed: UnsafeMutablePointer<Float>
    let queries: UnsafeMutablePointer<Float>
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    /// Attention output, `maxBatchTokens × queryLength`.
    let attention: UnsafeMutablePointer<Float>
    /// Output of the attention-output and down projections, added to the residual.
    let projected: UnsafeMutablePointer<Float>
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>
    /// `logitRowsPerPass × vocabularySize`.
    let logits: UnsafeMutablePointer<Float>
    /// Final-normed rows of the tokens whose logits are wanted, `logitRowsPerPass × embedding`.
    let logitInputs: UnsafeMutablePointer<Float>
    private var allocations: [UnsafeMutableRawPointer] = []

    public init(model: LlamaModel, maxBatchTokens: Int = 256, pool: ThreadPool, floatActivations: Bool = false) {
        let c = model.configuration
        self.model = model
        self.floatActivations = floatActivations
        self.maxBatchTokens = max(1, maxBatchTokens)
        self.pool = pool
        let tokens = self.maxBatchTokens
        self.matmulWorkspace = MatmulWorkspace(
            maxColumns: max(c.embeddingLength, c.queryLength, c.feedForwardLength), maxBatch: tokens)
        var allocations: [UnsafeMutableRawPointer] = []
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
            allocations.append(raw)
            return raw.initializeMemory(as: Float.self, repeating: 0, count: max(1, count))
        }
        self.residual = buffer(tokens * c.embeddingLength)
        self.normed = buffer(tokens * c.embeddingLength)
        self.queries = buffer(tokens * c.queryLength)
        self.keys = buffer(tokens * c.kvLength)
        self.values = buffer(tokens * c.kvLength)
        self.attention = buffer(tokens * c.queryLength)
        self.projected = buffer(tokens * c.embeddingLength)
        self.gate = buffer(tokens * c.feedForwardLength)
        self.up = buffer(tokens * c.feedForwardLength)
        self.logits = buffer(Self.logitRowsPerPass * c.vocabularySize)
        self.logitInputs = buffer(Self.logitRowsPerPass * c.embeddingLength)
        self.allocations = allocations
    }

    deinit {
        for allocation in self.allocations { allocation.deallocate() }
    }

    /// A paged KV cache shaped for this model: `blockCount` blocks of 16 tokens per layer.
    public func makeCache(blockCount: Int, format: KVCacheFormat) throws -> PagedKVCache {
        let c = self.model.configuration
        do {
            return try PagedKVCache(
                layers: c.blockCount, kvHeads: c.kvHeadCount, headDim: c.headDimension,
                blockCount: blockCount, format: format)
        } catch {
            throw ModelRuntimeError("KV cache", "\(error)")
        }
    }
}
