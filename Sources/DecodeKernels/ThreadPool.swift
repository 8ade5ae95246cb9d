import CKernels
import Glibc
import Synchronization

/// A fixed set of persistent worker threads that run `parallelFor` loops together with the
/// calling thread. A decode step calls it about ten times per layer per token, so dispatch is
/// a generation counter the workers spin on for a while before they block on a condition
/// variable. Items are claimed one at a time from a ticket that carries the loop's generation
/// next to the next index, and the caller waits for items completed, not for workers: a
/// worker that wakes late (the machine is busy) finds nothing left and costs the caller nothing.
///
/// `@unchecked Sendable`: the mutable job fields (`job`, `jobCount`) are written only by the
/// thread that owns the `busy` flag, before it publishes the loop's ticket and generation with
/// release ordering, and not again until every item of the loop has completed. A worker calls
/// `job` only after claiming an item with a compare-and-swap on a ticket of its own
/// generation, so the loop (and the closure) is still running when it does. `sleepers` is
/// guarded by `mutex`; everything else is atomic.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run loop bodies: the workers plus the caller.
    public let threadCount: Int

    private var threads: [pthread_t] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let generation = Atomic<Int>(0)
    /// (generation mod 2³²) << 32 | next index to claim.
    private let ticket = Atomic<UInt64>(0)
    private let completed = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let shuttingDown = Atomic<Bool>(false)
    /// Workers parked on `wake`; guarded by `mutex`.
    private var sleepers = 0
    private var job: ((Int) -> Void)?
    private var jobCount = 0

    /// Spin iterations (each a PAUSE, tens of nanoseconds) before a worker parks: long enough
    /// to cover the gap between two kernels of one layer, short enough not to burn a core
    /// between tokens.
    private static let spinLimit = 5_000

    /// Cores online, as `sysconf(_SC_NPROCESSORS_ONLN)` reports them.
    public static var onlineCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    public init(threadCount: Int = ThreadPool.onlineCores) {
        self.threadCount = max(1, threadCount)
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.wake, nil)
        let context = Unmanaged.passUnretained(self).toOpaque()
        for _ in 1..<self.threadCount {
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { argument in
                guard let argument else { return nil }
                Unmanaged<ThreadPool>.fromOpaque(argument).takeUnretainedValue().workerLoop()
                return nil
            }, context)
            if status == 0 { self.threads.append(thread) }
        }
    }

    deinit {
        pthread_mutex_lock(self.mutex)
        self.shuttingDown.store(true, ordering: .releasing)
        self.generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(self.wake)
        pthread_mutex_unlock(self.mutex)
        for thread in self.threads { pthread_join(thread, nil) }
        pthread_cond_destroy(self.wake)
        pthread_mutex_destroy(self.mutex)
        self.wake.deallocate()
        self.mutex.deallocate()
    }

    /// Runs `body(i)` exactly once for every `i` in `0..<count`, spread over the workers and
    /// the calling thread, and returns when all have finished. A call made while another is
    /// running (from a loop body, or from a second thread) runs its loop inline instead.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        guard count > 0 else { return }
        if count == 1 || self.threads.isEmpty
            || !self.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        {
            for index in 0..<count { body(index) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            self.job = escapable
            self.jobCount = count
            self.completed.store(0, ordering: .relaxed)
            let generation = self.generation.load(ordering: .relaxed) &+ 1
            self.ticket.store(Self.ticket(generation: generation, index: 0), ordering: .releasing)
            pthread_mutex_lock(self.mutex)
            self.generation.store(generation, ordering: .releasing)
            if self.sleepers > 0 { pthread_cond_broadcast(self.wake) }
            pthread_mutex_unlock(self.mutex)

            self.runItems(generation: generation, count: count)

            var spins = 0
            while self.completed.load(ordering: .acquiring) != count {
                spins += 1
                if spins < Self.spinLimit { ck_cpu_relax() } else { sched_yield() }
            }
            self.job = nil
        }
        self.busy.store(false, ordering: .releasing)
    }

    private static func ticket(generation: Int, index: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: generation) << 32 | UInt64(truncatingIfNeeded: index)
    }

    /// Claims and runs items of loop `generation` until none is left.
    private func runItems(generation: Int, count: Int) {
        var current = self.ticket.load(ordering: .acquiring)
        while true {
            guard current >> 32 == UInt64(truncatingIfNeeded: generation) & 0xFFFF_FFFF else { return }
            let index = Int(current & 0xFFFF_FFFF)
            if index >= count { return }
            let claimed = self.ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            guard claimed.exchanged else {
                current = claimed.original
                continue
            }
            self.runJob(index)
            self.completed.add(1, ordering: .releasing)
            current = current + 1
        }
    }

    /// Not inlined, so the copy of `job` it takes is released before the item is counted as
    /// completed: the caller's `withoutActuallyEscaping` then finds the closure unshared.
    @inline(never)
    private func runJob(_ index: Int) {
        self.job?(index)
    }

    private func workerLoop() {
        var seen = 0
        while true {
            var spins = 0
            var current = self.generation.load(ordering: .acquiring)
            while current == seen {
                if spins < Self.spinLimit {
                    spins += 1
                    ck_cpu_relax()
                } else {
                    pthread_mutex_lock(self.mutex)
                    self.sleepers += 1
                    while self.generation.load(ordering: .acquiring) == seen {
                        pthread_cond_wait(self.wake, self.mutex)
                    }
                    self.sleepers -= 1
                    pthread_mutex_unlock(self.mutex)
                }
                current = self.generation.load(ordering: .acquiring)
            }
            seen = current
            if self.shuttingDown.load(ordering: .acquiring) { return }
            // jobCount may already belong to a later loop; the ticket's generation check
            // stops this worker before it runs anything with it.
            self.runItems(generation: current, count: self.jobCount)
        }
    }
}
