@testable import BatchScheduling
import GatewayCore
import Testing

@Suite("Scheduler properties")
struct SchedulerPropertyTests {
    @Test("more long sequences than fit all finish, with the tokens each makes alone")
    func poolExhaustion() throws {
        let configuration = SchedulerConfiguration(
            maxNumBatchedTokens: 64, maxNumSeqs: 8, prefillChunkSize: 32, totalBlocks: 12)
        let requests = (1...8).map { request($0, prompt: 40, maxTokens: 60, seed: Int32($0)) }
        var simulation = try Simulation(configuration)
        for request in requests { #expect(simulation.scheduler.add(request) == .accepted) }
        simulation.runToCompletion()
        #expect(simulation.scheduler.statistics.preemptions > 0)
        #expect(simulation.scheduler.blocks.freeCount == 12)
        for request in requests {
            var alone = try Simulation(configuration)
            _ = alone.scheduler.add(request)
            alone.runToCompletion()
            let batched = try #require(simulation.finished[request.id])
            #expect(batched.reason == .length)
            #expect(batched.generated.count == 60)
            #expect(batched.generated == alone.finished[request.id]?.generated)
            #expect(batched.generated == FakeModel.reference(prompt: request.promptTokens, maxTokens: 60, stops: false))
        }
    }

    @Test("random arrivals, lengths, priorities, cancellations and pools keep every invariant", arguments: 0..<4)
    func randomWorkloads(shard: Int) throws {
        var totals = SchedulerStatistics()
        var cancellations = 0
        for iteration in 0..<100 {
            var random = SeededGenerator(state: UInt64(shard * 1_000 + iteration))
            let (statistics, cancelled) = try self.runRandomWorkload(&random, seed: shard * 1_000 + iteration)
            totals.preemptions += statistics.preemptions
            totals.prefixCacheHits += statistics.prefixCacheHits
            cancellations += cancelled
        }
        // The workloads reach the paths under test, not only the easy ones.
        #expect(totals.preemptions > 0)
        #expect(totals.prefixCacheHits > 0)
        #expect(cancellations > 0)
    }

    private func runRandomWorkload(_ random: inout SeededGenerator, seed: Int) throws -> (SchedulerStatistics, Int) {
        let blockSize = [4, 16][Int.random(in: 0...1, using: &random)]
        let totalBlocks = Int.random(in: 4...40, using: &random)
        let configuration = SchedulerConfiguration(
            maxNumBatchedTokens: Int.random(in: 1...96, using: &random),
            maxNumSeqs: Int.random(in: 1...8, using: &random),
            prefillChunkSize: Int.random(in: 1...64, using: &random),
            blockSize: blockSize,
            totalBlocks: totalBlocks,
            enablePrefixCaching: Bool.random(using: &random))
        var simulation = try Simulation(configuration, stops: true)
        let poolTokens = totalBlocks * blockSize
        // Shared openings so that the prefix cache has something to find.
        let openings: [[Int32]] = (0..<3).map { opening in (0..<40).map { Int32(opening * 100 + $0 + 1) } }
        var arrivals: [SchedulerRequest] = []
        var time = Duration.zero
        for id in 0..<Int.random(in: 1...20, using: &random) {
            time += .milliseconds(Int.random(in: 0...30, using: &random))
            let length = Int.random(in: 1...min(80, poolTokens), using: &random)
            let shared = Int.random(in: 0...min(length, 40), using: &random)
            let opening = openings[Int.random(in: 0..<3, using: &random)]
            let prompt = Array(opening.prefix(shared)) + (0..<(length - shared)).map { _ in Int32.random(in: 1...50_000, using: &random) }
            arrivals.append(
                SchedulerRequest(
                    id: .number(id), promptTokens: prompt, maxTokens: Int.random(in: 1...40, using: &random),
                    priority: Priority.allCases.randomElement(using: &random) ?? .normal, arrival: time))
        }
        var accepted: [SchedulerRequest] = []
        var pending = arrivals[...]
        var rounds = 0
        while (!pending.isEmpty || simulation.scheduler.hasWork) && rounds < 20_000 {
            rounds += 1
            while let next = pending.first, next.arrival <= simulation.now {
                pending = pending.dropFirst()
                switch simulation.scheduler.add(next) {
                case .accepted: accepted.append(next)
                case .rejected(.tooLarge): #expect(next.demand > poolTokens)
                case .rejected(let other): Issue.record("seed \(seed): unexpected rejection \(other)")
                }
            }
            if !accepted.isEmpty, Int.random(in: 0..<10, using: &random) == 0,
                let victim = accepted.randomElement(using: &random)
            {
                simulation.scheduler.cancel(victim.id)
            }
            if simulation.scheduler.hasWork {
                simulation.step()
            } else {
                simulation.now += .milliseconds(1)
            }
        }
        #expect(rounds < 20_000, "seed \(seed): did not drain")
        #expect(simulation.maxStepTokens <= configuration.maxNumBatchedTokens)
        #expect(simulation.scheduler.blocks.freeCount == totalBlocks, "seed \(seed): blocks leaked")
        #expect(simulation.scheduler.statistics.queuedTokens == 0)
        for request in accepted {
            let done = simulation.finished[request.id]
            let wasCancelled = simulation.cancelled.contains(request.id)
            #expect((done != nil) != wasCancelled, "seed \(seed): \(request.id) neither finished nor cancelled, or both")
            if let done {
                #expect(
                    done.generated == FakeModel.reference(prompt: request.promptTokens, maxTokens: request.maxTokens, stops: true),
                    "seed \(seed): \(request.id) made other tokens than alone")
            }
        }
        return (simulation.scheduler.statistics, simulation.cancelled.count)
    }
}
