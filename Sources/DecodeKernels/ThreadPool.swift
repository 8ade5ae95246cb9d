import CKernels
import Glibc
import Synchronization

/// A fixed set of persistent worker threads that run `parallelFor` loops together with the
/// calling thread. A decode step calls it about ten times per layer per token, so dispatch is
/// a generation counter the workers spin on for a few tens of microseconds before they block
/// on a condition variable; work items are claimed one at a time from a shared atomic index.
///
/// `@unchecked Sendable`: the mutable job fields (`job`, `jobCount`) are written only by the
/// thread that owns the `busy` flag, before it publishes a new `generation` with release
/// ordering, and read by workers only after they observe that generation with acquire
/// ordering and before they decrement `pending`; the owner waits for `pending == 0` before it
/// touches them again. Everything else is atomics or guarded by `mutex`.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run loop bodies: the workers plus the caller.
    public let threadCount: Int

    private var threads: [pthread_t] = []
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let shuttingDown = Atomic<Bool>(false)
    /// Workers parked on `wake`; guarded by `mutex`.
    private var sleepers = 0
    private var job: ((Int) -> Void)?
    private var jobCount = 0

    /// Spin iterations (each a PAUSE) before a worker parks: long enough to cover the gap
    /// between two kernels of one layer, short enough not to burn a core between tokens.
    private static let spinLimit = 20_000

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
            self.nextIndex.store(0, ordering: .relaxed)
            self.pending.store(self.threads.count, ordering: .relaxed)
            pthread_mutex_lock(self.mutex)
            self.generation.add(1, ordering: .releasing)
            if self.sleepers > 0 { pthread_cond_broadcast(self.wake) }
            pthread_mutex_unlock(self.mutex)

            self.runItems(escapable, count: count)

            var spins = 0
            while self.pending.load(ordering: .acquiring) != 0 {
                spins += 1
                if spins < Self.spinLimit { ck_cpu_relax() } else { sched_yield() }
            }
            self.job = nil
        }
        self.busy.store(false, ordering: .releasing)
    }

    private func runItems(_ body: (Int) -> Void, count: Int) {
        while true {
            let index = self.nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if index >= count { return }
            body(index)
        }
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
            if let job = self.job { self.runItems(job, count: self.jobCount) }
            self.pending.subtract(1, ordering: .releasing)
        }
    }
}
