import Synchronization

/// Scratch memory `pagedAttention` reuses from call to call: per thread, the group's scaled
/// queries, accumulators, running maxima and sums, and the block's softmax weights; and the
/// results of split items awaiting their merge. It grows
/// when a call needs more (a larger head group, head size or thread count) and otherwise
/// allocates nothing.
///
/// `@unchecked Sendable`: during a call, thread slot i touches only its own region of
/// `scratch`, work unit u only its own region of `partials`, and `nextItem` is atomic; the
/// buffers and their sizes change only at the start of a
/// call, before any worker runs. One workspace serves one call at a time — the caller (one
/// replica's forward pass) never runs two calls on it concurrently.
public final class AttentionWorkspace: @unchecked Sendable {
    private var raw: UnsafeMutableRawPointer
    private(set) var scratch: UnsafeMutablePointer<Float>
    private(set) var floatsPerThread = 0
    private(set) var threads = 0
    let nextItem = Atomic<Int>(0)
    /// The call's queries rotated by `KVRotation` (int8 and fp8 caches), grown on demand.
    private(set) var rotatedQueries = UnsafeMutablePointer<Float>.allocate(capacity: 16)
    private var rotatedCapacity = 16
    /// Results of split items before they are merged (see `attentionSplits`).
    private var partialStorage: UnsafeMutableRawPointer
    private(set) var partials: UnsafeMutablePointer<Float>
    private var partialCapacity = 0

    public init() {
        self.raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        self.scratch = self.raw.bindMemory(to: Float.self, capacity: 16)
        self.partialStorage = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        self.partials = self.partialStorage.bindMemory(to: Float.self, capacity: 16)
    }

    deinit {
        self.raw.deallocate()
        self.rotatedQueries.deallocate()
        self.partialStorage.deallocate()
    }

    /// Makes room for `count` rotated query Floats.
    func reserveRotatedQueries(_ count: Int) {
        guard count > self.rotatedCapacity else { return }
        self.rotatedQueries.deallocate()
        self.rotatedQueries = UnsafeMutablePointer<Float>.allocate(capacity: count)
        self.rotatedCapacity = count
    }

    /// Makes room for `floats` Floats of split results.
    func reservePartials(floats: Int) {
        guard floats > self.partialCapacity else { return }
        self.partialStorage.deallocate()
        self.partialStorage = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
        self.partials = self.partialStorage.bindMemory(to: Float.self, capacity: floats)
        self.partialCapacity = floats
    }

    /// Floats one thread needs for `groupSize` query heads of `headDim` values.
    static func floatsPerThread(groupSize: Int, headDim: Int) -> Int {
        AttentionGroupScratch.floatCount(groupSize: groupSize, headDim: headDim)
    }

    /// Makes room for `threads` slots of `floats` each.
    func reserve(threads: Int, floats: Int) {
        guard threads > self.threads || floats > self.floatsPerThread else { return }
        let newThreads = max(threads, self.threads)
        let newFloats = max(floats, self.floatsPerThread)
        self.raw.deallocate()
        self.raw = UnsafeMutableRawPointer.allocate(
            byteCount: newThreads * newFloats * MemoryLayout<Float>.stride, alignment: 64)
        self.scratch = self.raw.bindMemory(to: Float.self, capacity: newThreads * newFloats)
        self.threads = newThreads
        self.floatsPerThread = newFloats
    }

    /// Thread slot `index`'s region.
    @inline(__always)
    func slot(_ index: Int) -> UnsafeMutablePointer<Float> {
        self.scratch + index * self.floatsPerThread
    }
}
