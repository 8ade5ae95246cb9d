@testable import BatchScheduling
import GatewayCore
import Testing

@Suite("Prefix cache")
struct PrefixCacheTests {
    static let systemPrompt: [Int32] = (0..<64).map { 1_000 + $0 }

    func chat(_ id: Int, suffix: Int32) -> SchedulerRequest {
        SchedulerRequest(
            id: .number(id), promptTokens: Self.systemPrompt + [suffix, suffix + 1, suffix + 2], maxTokens: 4,
            arrival: .zero)
    }

    @Test("a second request with the same system prompt starts after the cached blocks")
    func sharedSystemPrompt() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 32))
        _ = simulation.scheduler.add(self.chat(1, suffix: 1))
        simulation.runToCompletion()
        _ = simulation.scheduler.add(self.chat(2, suffix: 50))
        let step = simulation.step()
        #expect(step.entries.first?.startPosition == 64)
        #expect(step.entries.first?.tokens.count == 3)
        simulation.runToCompletion()
        let statistics = simulation.scheduler.statistics
        #expect(statistics.prefixCacheHits == 4)
        #expect(statistics.prefixCacheQueries == 8)
        #expect(statistics.prefixCacheHitRate == 0.5)
        #expect(simulation.finished[.number(2)]?.generated == FakeModel.reference(
            prompt: self.chat(2, suffix: 50).promptTokens, maxTokens: 4, stops: false))
        #expect(statistics.freeBlocks == 32)
    }

    @Test("running sequences share cached blocks by reference count")
    func sharingWhileRunning() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 32))
        _ = simulation.scheduler.add(self.chat(1, suffix: 1))
        simulation.step()
        simulation.step()
        _ = simulation.scheduler.add(self.chat(2, suffix: 50))
        simulation.step()
        let first = try #require(simulation.scheduler.blockTable(of: .number(1)))
        let second = try #require(simulation.scheduler.blockTable(of: .number(2)))
        #expect(Array(first.prefix(4)) == Array(second.prefix(4)))
        #expect(simulation.scheduler.blocks.referenceCount(of: first[0]) == 2)
        #expect(first[4] != second[4])
        simulation.runToCompletion()
        #expect(simulation.scheduler.blocks.freeCount == 32)
    }

    @Test("the block holding the prompt's last token is recomputed, never reused")
    func lastBlockIsComputed() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 16))
        let prompt = Array(Self.systemPrompt.prefix(32))
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(1), promptTokens: prompt, maxTokens: 2, arrival: .zero))
        simulation.runToCompletion()
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(2), promptTokens: prompt, maxTokens: 2, arrival: .zero))
        let step = simulation.step()
        #expect(step.entries.first?.startPosition == 16)
        simulation.runToCompletion()
        #expect(simulation.finished[.number(1)]?.generated == simulation.finished[.number(2)]?.generated)
    }

    @Test("unreferenced cached blocks are evicted least recently used when the pool runs short")
    func leastRecentlyUsedEviction() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 6))
        let old: [Int32] = (0..<33).map { 500 + $0 }
        let recent: [Int32] = (0..<33).map { 900 + $0 }
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(1), promptTokens: old, maxTokens: 1, arrival: .zero))
        simulation.runToCompletion()
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(2), promptTokens: recent, maxTokens: 1, arrival: .zero))
        simulation.runToCompletion()
        #expect(simulation.scheduler.blocks.cachedCount == 4)
        // Needs 2 fresh blocks beyond the 2 never-cached ones: the old prompt's go first.
        let fresh: [Int32] = (0..<60).map { 3_000 + $0 }
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(3), promptTokens: fresh, maxTokens: 1, arrival: .zero))
        simulation.runToCompletion()
        _ = simulation.scheduler.add(SchedulerRequest(id: .number(4), promptTokens: recent, maxTokens: 1, arrival: .zero))
        let step = simulation.step()
        #expect(step.entries.first?.startPosition == 32)
        simulation.runToCompletion()
        #expect(simulation.scheduler.blocks.freeCount == 6)
    }

    @Test("with prefix caching off nothing is shared")
    func disabled() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 32, enablePrefixCaching: false))
        _ = simulation.scheduler.add(self.chat(1, suffix: 1))
        simulation.runToCompletion()
        _ = simulation.scheduler.add(self.chat(2, suffix: 50))
        #expect(simulation.step().entries.first?.startPosition == 0)
        #expect(simulation.scheduler.blocks.cachedCount == 0)
    }
}
