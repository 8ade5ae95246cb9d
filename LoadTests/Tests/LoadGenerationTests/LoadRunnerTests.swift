import HTTPTransport
@testable import LoadGeneration
import Testing

@Suite("LoadRunner schedules and bounds")
struct LoadRunnerTests {
    @Test("Poisson arrivals: mean gap 1/rate, bounded by count and horizon, repeatable for a seed")
    func poisson() {
        var generator = SplitMix64(seed: 11)
        let arrivals = poissonArrivals(rate: 50, ramp: 0, horizon: 1_000, limit: 20_000, generator: &generator)
        #expect(arrivals.count == 20_000)
        let meanGap = (arrivals.last ?? 0) / Double(arrivals.count)
        #expect(abs(meanGap * 50 - 1) < 0.03)
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0 <= $1 })
        var again = SplitMix64(seed: 11)
        #expect(poissonArrivals(rate: 50, ramp: 0, horizon: 1_000, limit: 20_000, generator: &again) == arrivals)
        var short = SplitMix64(seed: 11)
        let bounded = poissonArrivals(rate: 50, ramp: 0, horizon: 2, limit: 20_000, generator: &short)
        #expect(bounded.count < 200 && bounded.dropLast().allSatisfy { $0 < 2 })
        // A ramp thins the first seconds: fewer arrivals before the ramp ends than at full rate.
        var ramped = SplitMix64(seed: 11)
        let withRamp = poissonArrivals(rate: 50, ramp: 10, horizon: 10, limit: 20_000, generator: &ramped)
        #expect(withRamp.count < 350)
    }

    @Test("a trace's arrivals are each sent once, never before their time")
    func traceArrivals() async throws {
        try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let offsets = [0, 0.02, 0.02, 0.05, 0.1, 0.15]
            let runner = LoadRunner(
                client: client, schedule: .timestamps(offsets), limits: LoadLimits(maxRequests: 100, duration: .seconds(30)))
            let records = await runner.run { LoadRequest(index: $0, prompt: "a b c", maxTokens: 3) }
            await client.close()
            #expect(records.map(\.index) == Array(0..<6))
            #expect(records.filter { !$0.succeeded }.isEmpty)
            #expect(zip(records, offsets).allSatisfy { $0.start >= $1 })
        }
    }

    @Test("the duration bounds a closed loop that the count would not")
    func durationBound() async throws {
        try await EchoServer.with(pace: .milliseconds(5)) { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let runner = LoadRunner(
                client: client, schedule: .closedLoop(concurrency: 2),
                limits: LoadLimits(maxRequests: 1_000_000, duration: .seconds(2)))
            let records = await runner.run { LoadRequest(index: $0, model: "echo-paced", prompt: "a b c d", maxTokens: 4) }
            await client.close()
            #expect(!records.isEmpty && records.count < 1_000)
            #expect(records.filter { !$0.succeeded }.isEmpty)
        }
    }

    @Test("a request past its timeout is cancelled and recorded as timeout; the client goes on", arguments: HTTPClientProtocol.allCases)
    func timeout(protocol: HTTPClientProtocol) async throws {
        // The paced answer needs 6 s; the timeout leaves the follow-up request ample time on a
        // busy machine (it opens a new connection on HTTP/1.1).
        try await EchoServer.with(pace: .seconds(1)) { port in
            let client = LoadClient(
                configuration: LoadClientConfiguration(port: port, protocol: `protocol`, requestTimeout: .seconds(3)))
            let record = await client.send(LoadRequest(model: "echo-paced", prompt: "a b c d e f", maxTokens: 6))
            let after = await client.send(LoadRequest(prompt: "still works", maxTokens: 2))
            await client.close()
            #expect(record.errorKind == "timeout")
            #expect(after.succeeded && after.text == "still works", "\(after.errorKind ?? "") \(after.errorMessage ?? "")")
        }
    }
}
