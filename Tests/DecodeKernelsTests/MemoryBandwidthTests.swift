import DecodeKernels
import Testing

@Suite struct MemoryBandwidthTests {
    @Test func measuresAPositiveFiniteRate() {
        let pool = ThreadPool(threadCount: 2)
        let rate = measureReadBandwidth(bytes: 8 << 20, repeats: 3, pool: pool)
        // Any machine that runs this reads faster than 100 MB/s and slower than 100 TB/s.
        #expect(rate.isFinite)
        #expect(rate > 1e8)
        #expect(rate < 1e14)
    }
}
