import DecodeKernels
import Synchronization
import Testing

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3, 5])
    func everyIndexRunsExactlyOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        #expect(pool.threadCount == threads)
        let counts = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 1000)
        for index in 0..<1000 { (counts + index).initialize(to: Atomic(0)) }
        defer { counts.deallocate() }
        var expectedPerIndex = 0
        for round in 0..<300 {
            let count = [1, 2, 7, 64, 1000][round % 5]
            pool.parallelFor(count) { index in
                counts[index].add(1, ordering: .relaxed)
            }
            if count == 1000 { expectedPerIndex += 1 }
            if round % 5 == 4 {
                // Index 999 only runs in the 1000-item rounds; index 0 runs in every round.
                #expect(counts[999].load(ordering: .relaxed) == expectedPerIndex)
                #expect(counts[0].load(ordering: .relaxed) == (round + 1))
            }
        }
        #expect(counts[500].load(ordering: .relaxed) == 60)
        #expect(counts[63].load(ordering: .relaxed) == 120)
        #expect(counts[6].load(ordering: .relaxed) == 180)
        #expect(counts[1].load(ordering: .relaxed) == 240)
    }

    @Test func nestedCallsRunInlineAndComplete() {
        let pool = ThreadPool(threadCount: 3)
        let total = Atomic<Int>(0)
        pool.parallelFor(8) { _ in
            pool.parallelFor(5) { _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 40)
    }

    @Test func defaultUsesAllOnlineCores() {
        #expect(ThreadPool().threadCount == ThreadPool.onlineCores)
    }
}
