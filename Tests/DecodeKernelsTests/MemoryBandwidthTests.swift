import DecodeKernels
import Testing

@Suite struct MemoryBandwidthTests {
    @Test func measuresAPositiveFiniteRate() {
        let pool = ThreadPool(threadCount: 2)
        let rate = measureReadBandwidth(bytes: 2 << 20, repeats: 3, pool: pool)
        // Even an unoptimized build on a loaded machine reads faster than 1 MB/s, and no
        // machine reads 100 TB/s.
        #expect(rate.isFinite)
        #expect(rate > 1e6)
        #expect(rate < 1e14)
    }
}
