import Foundation
import Synchronization

/// Drives a client with a schedule until the limits say stop, and returns every record in
/// the order requests were issued. `makeRequest(i)` gives the i-th request (nil ends the
/// run early, when a dataset runs out); `onRecord` sees each record as it completes (the
/// progress line).
public struct LoadRunner: Sendable {
    public var client: LoadClient
    public var schedule: LoadSchedule
    public var limits: LoadLimits
    public var seed: UInt64

    public init(client: LoadClient, schedule: LoadSchedule, limits: LoadLimits, seed: UInt64 = 1) {
        self.client = client
        self.schedule = schedule
        self.limits = limits
        self.seed = seed
    }

    /// `origin` is the run's start, from which records' `start` counts (a caller that times
    /// other things against the run, admin actions say, passes its own).
    public func run(
        origin: ContinuousClock.Instant = .now,
        makeRequest: @escaping @Sendable (Int) -> LoadRequest?,
        onRecord: @escaping @Sendable (RequestRecord) -> Void = { _ in }
    ) async -> [RequestRecord] {
        let deadline = origin + self.limits.duration
        let records = Mutex<[RequestRecord]>([])
        let collect: @Sendable (RequestRecord) -> Void = { record in
            records.withLock { $0.append(record) }
            onRecord(record)
        }
        switch self.schedule {
        case .closedLoop(let concurrency):
            await self.runClosedLoop(
                concurrency: max(1, concurrency), origin: origin, deadline: deadline, makeRequest: makeRequest, collect: collect)
        case .poisson(let rate):
            var generator = SplitMix64(seed: self.seed)
            let ramp = DurationText.seconds(self.limits.ramp)
            let arrivals = poissonArrivals(
                rate: rate, ramp: ramp, horizon: DurationText.seconds(self.limits.duration), limit: self.limits.maxRequests,
                generator: &generator)
            await self.runOpenLoop(
                offsets: arrivals, origin: origin, deadline: deadline, makeRequest: makeRequest, collect: collect)
        case .timestamps(let offsets):
            await self.runOpenLoop(
                offsets: Array(offsets.prefix(self.limits.maxRequests)), origin: origin, deadline: deadline,
                makeRequest: makeRequest, collect: collect)
        }
        return records.withLock { $0 }.sorted { $0.index < $1.index }
    }

    private func runClosedLoop(
        concurrency: Int, origin: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
        makeRequest: @escaping @Sendable (Int) -> LoadRequest?, collect: @escaping @Sendable (RequestRecord) -> Void
    ) async {
        let nextIndex = SharedCounter()
        let maxRequests = self.limits.maxRequests
        let client = self.client
        let rampStep = self.limits.ramp / concurrency
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    if worker > 0, rampStep > .zero {
                        try? await Task.sleep(until: origin + rampStep * worker, clock: .continuous)
                    }
                    while ContinuousClock.now < deadline, !Task.isCancelled {
                        let index = nextIndex.add(1)
                        guard index < maxRequests, let request = makeRequest(index) else { return }
                        collect(await client.send(request, origin: origin))
                    }
                }
            }
        }
    }

    private func runOpenLoop(
        offsets: [Double], origin: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
        makeRequest: @escaping @Sendable (Int) -> LoadRequest?, collect: @escaping @Sendable (RequestRecord) -> Void
    ) async {
        let inFlight = SharedCounter()
        let maxInFlight = self.limits.maxInFlight
        let client = self.client
        await withTaskGroup(of: Void.self) { group in
            for (index, offset) in offsets.enumerated() {
                let arrival = origin + .nanoseconds(Int64(offset * 1e9))
                guard arrival < deadline else { break }
                try? await Task.sleep(until: arrival, clock: .continuous)
                guard !Task.isCancelled, let request = makeRequest(index) else { break }
                if inFlight.add(1) >= maxInFlight {
                    inFlight.add(-1)
                    collect(RequestRecord(
                        index: index, start: offset, errorKind: "client_overflow",
                        errorMessage: "more than \(maxInFlight) requests in flight"))
                    continue
                }
                group.addTask {
                    collect(await client.send(request, origin: origin))
                    inFlight.add(-1)
                }
            }
        }
    }
}

/// Arrival offsets of a Poisson process at `rate` per second, up to `limit` arrivals or the
/// `horizon` (seconds); with a ramp the rate climbs linearly from 5% to full over the ramp.
func poissonArrivals(rate: Double, ramp: Double, horizon: Double, limit: Int, generator: inout SplitMix64) -> [Double] {
    guard rate > 0 else { return [] }
    var offsets: [Double] = []
    var time = 0.0
    while offsets.count < limit && time < horizon {
        let current = ramp > 0 && time < ramp ? rate * max(0.05, time / ramp) : rate
        // Inverse-CDF draw; 1 - u keeps the logarithm finite.
        let u = Double(generator.next() >> 11) / Double(1 << 53)
        time += -log(1 - u) / current
        offsets.append(time)
    }
    return offsets
}
