/// DRAM read bandwidth as a STREAM-style read measures it: every thread of `pool` sums its
/// own contiguous slice of a `bytes`-sized buffer (far larger than the caches), the pass is
/// timed end to end, and the median over `repeats` passes is returned, in bytes per second.
/// Kernel benchmarks divide the bytes they read per second by this figure, measured in the
/// same run, so the ratio says how close a kernel comes to the memory system's limit.
public func measureReadBandwidth(bytes: Int = 256 << 20, repeats: Int = 5, pool: ThreadPool) -> Double {
    let vectorBytes = MemoryLayout<SIMD4<Float>>.stride
    let unroll = 4
    let slices = pool.threadCount
    // Each slice is a whole number of unrolled vector groups.
    let groupBytes = vectorBytes * unroll
    let groupsPerSlice = max(1, bytes / groupBytes / slices)
    let sliceBytes = groupsPerSlice * groupBytes
    let totalBytes = sliceBytes * slices
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: totalBytes, alignment: 64)
    defer { buffer.deallocate() }
    // Non-zero contents, written by the threads that later read them (first touch).
    pool.parallelFor(slices) { slice in
        let floats = (buffer + slice * sliceBytes).assumingMemoryBound(to: Float.self)
        for index in 0..<(sliceBytes / 4) { floats[index] = Float(index & 1023) * 0.001 + 1 }
    }
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: slices)
    defer { sums.deallocate() }
    sums.initialize(repeating: 0, count: slices)

    var rates: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<max(1, repeats) {
        let start = clock.now
        pool.parallelFor(slices) { slice in
            let base = UnsafeRawPointer(buffer + slice * sliceBytes)
            var acc0 = SIMD4<Float>(), acc1 = SIMD4<Float>(), acc2 = SIMD4<Float>(), acc3 = SIMD4<Float>()
            var offset = 0
            for _ in 0..<groupsPerSlice {
                acc0 += base.load(fromByteOffset: offset, as: SIMD4<Float>.self)
                acc1 += base.load(fromByteOffset: offset + 16, as: SIMD4<Float>.self)
                acc2 += base.load(fromByteOffset: offset + 32, as: SIMD4<Float>.self)
                acc3 += base.load(fromByteOffset: offset + 48, as: SIMD4<Float>.self)
                offset += groupBytes
            }
            // Stored so the compiler cannot drop the reads.
            sums[slice] += ((acc0 + acc1) + (acc2 + acc3)).sum()
        }
        rates.append(Double(totalBytes) / seconds(clock.now - start))
    }
    rates.sort()
    return rates[rates.count / 2]
}

/// A `Duration` in seconds, as a `Double`.
func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}
