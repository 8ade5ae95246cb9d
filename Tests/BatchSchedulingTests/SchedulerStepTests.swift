@testable import BatchScheduling
import GatewayCore
import Testing

@Suite("Scheduler steps")
struct SchedulerStepTests {
    @Test("chunked prefill fills the budget, decodes come first, a finished sequence leaves at once")
    func chunkedPrefillThenDecode() throws {
        var simulation = try Simulation(
            SchedulerConfiguration(maxNumBatchedTokens: 32, maxNumSeqs: 4, prefillChunkSize: 24, totalBlocks: 16))
        #expect(simulation.scheduler.add(request(1, prompt: 40, maxTokens: 3)) == .accepted)
        #expect(simulation.scheduler.add(request(2, prompt: 10, maxTokens: 2, seed: 2)) == .accepted)

        let first = simulation.step()
        #expect(first.entries.map(\.id) == [.number(1), .number(2)])
        #expect(first.entries.map(\.tokens.count) == [24, 8])
        #expect(first.entries.map(\.startPosition) == [0, 0])
        #expect(first.entries.map(\.needsLogits) == [false, false])
        #expect(first.entries.map(\.blockTable) == [[0, 1], [2]])

        let second = simulation.step()
        #expect(second.entries.map(\.tokens.count) == [16, 2])
        #expect(second.entries.map(\.startPosition) == [24, 8])
        #expect(second.entries.map(\.needsLogits) == [true, true])
        #expect(second.entries[0].newBlocks == [3])
        #expect(second.entries[0].blockTable == [0, 1, 3])

        let third = simulation.step()
        #expect(third.entries.map(\.kind) == [.decode, .decode])
        #expect(third.tokenCount == 2)
        // Request 2 reached its two tokens: it is gone and its block is free again.
        #expect(simulation.finished[.number(2)]?.reason == .length)
        #expect(simulation.scheduler.statistics.running == 1)

        simulation.runToCompletion()
        #expect(simulation.finished[.number(1)]?.generated == FakeModel.reference(
            prompt: request(1, prompt: 40, maxTokens: 3).promptTokens, maxTokens: 3, stops: false))
        #expect(simulation.scheduler.blocks.freeCount == 16)
    }

    @Test("a decode that finds no block preempts the most recently admitted sequence, which waits until it fits")
    func preemptionByRecompute() throws {
        var simulation = try Simulation(
            SchedulerConfiguration(maxNumBatchedTokens: 64, maxNumSeqs: 4, prefillChunkSize: 64, totalBlocks: 3))
        let a = request(1, prompt: 16, maxTokens: 20, seed: 1)
        let b = request(2, prompt: 16, maxTokens: 20, seed: 2)
        #expect(simulation.scheduler.add(a) == .accepted)
        #expect(simulation.scheduler.add(b) == .accepted)

        let first = simulation.step()
        #expect(first.entries.map(\.id) == [.number(1), .number(2)])
        #expect(first.entries.map(\.needsLogits) == [true, true])

        // Both cross into a second block; only one is free, so B (admitted last) gives way.
        let second = simulation.step()
        #expect(second.entries.map(\.id) == [.number(1)])
        #expect(second.preempted == [.number(2)])
        #expect(simulation.scheduler.generatedTokens(of: .number(2))?.count == 1)
        #expect(simulation.scheduler.statistics.waiting == 1)

        // B's first block is still cached but admitting it needs one more block: it waits.
        let third = simulation.step()
        #expect(third.entries.map(\.id) == [.number(1)])
        #expect(third.preempted.isEmpty)

        simulation.runToCompletion()
        #expect(simulation.scheduler.statistics.preemptions == 1)
        #expect(simulation.finished[.number(1)]?.generated == FakeModel.reference(prompt: a.promptTokens, maxTokens: 20, stops: false))
        #expect(simulation.finished[.number(2)]?.generated == FakeModel.reference(prompt: b.promptTokens, maxTokens: 20, stops: false))
        #expect(simulation.scheduler.blocks.freeCount == 3)
    }

    @Test("high before normal before low, FIFO within a priority")
    func priorityOrdering() throws {
        var simulation = try Simulation(
            SchedulerConfiguration(maxNumBatchedTokens: 64, maxNumSeqs: 1, prefillChunkSize: 64, totalBlocks: 8))
        let arrivals: [(Int, Priority)] = [(1, .low), (2, .normal), (3, .high), (4, .normal), (5, .high), (6, .low)]
        for (id, priority) in arrivals {
            #expect(simulation.scheduler.add(request(id, prompt: 5, maxTokens: 2, priority: priority, seed: Int32(id))) == .accepted)
        }
        simulation.runToCompletion()
        var order: [RequestID] = []
        for step in simulation.steps {
            for entry in step.entries where !order.contains(entry.id) { order.append(entry.id) }
        }
        #expect(order == [3, 5, 2, 4, 1, 6].map { RequestID.number($0) })
    }

    @Test("a preempted high-priority sequence goes back before every normal one")
    func preemptedSequenceWaitsAtTheHeadOfItsPriority() throws {
        var scheduler = try Scheduler(
            configuration: SchedulerConfiguration(maxNumBatchedTokens: 64, maxNumSeqs: 4, totalBlocks: 8))
        _ = scheduler.add(request(1, prompt: 4, maxTokens: 2, priority: .high))
        _ = scheduler.add(request(2, prompt: 4, maxTokens: 2, priority: .high))
        _ = scheduler.schedule(now: .zero)
        var plan = StepPlan(budget: 0)
        scheduler.preempt(.number(2), plan: &plan)
        _ = scheduler.add(request(3, prompt: 4, maxTokens: 2, priority: .high))
        #expect(scheduler.waiting[Priority.high.rawValue] == [.number(2), .number(3)])
        #expect(plan.preempted == [.number(2)])
    }

    @Test("cancel frees a running sequence's blocks at the next step and drops a waiting one")
    func cancellation() throws {
        var simulation = try Simulation(
            SchedulerConfiguration(maxNumBatchedTokens: 16, maxNumSeqs: 1, prefillChunkSize: 16, totalBlocks: 10))
        _ = simulation.scheduler.add(request(1, prompt: 40, maxTokens: 10))
        _ = simulation.scheduler.add(request(2, prompt: 40, maxTokens: 10, seed: 2))
        simulation.step()
        #expect(simulation.scheduler.blocks.usedCount == 1)
        let known = [1, 2, 9].map { simulation.scheduler.cancel(.number($0)) }
        #expect(known == [true, true, false])
        let step = simulation.step()
        #expect(Set(step.cancelled) == [.number(1), .number(2)])
        #expect(step.isEmpty)
        #expect(simulation.scheduler.blocks.freeCount == 10)
        #expect(!simulation.scheduler.hasWork)
    }

    @Test("a failed step fails every sequence in it and frees their blocks")
    func failedStep() throws {
        var simulation = try Simulation(SchedulerConfiguration(totalBlocks: 10))
        _ = simulation.scheduler.add(request(1, prompt: 20, maxTokens: 10))
        _ = simulation.scheduler.add(request(2, prompt: 20, maxTokens: 10, seed: 2))
        simulation.step(failing: true)
        #expect(simulation.finished[.number(1)]?.reason == .failed("forward pass failed"))
        #expect(simulation.finished[.number(2)]?.reason == .failed("forward pass failed"))
        #expect(simulation.scheduler.blocks.freeCount == 10)
    }

    @Test("a stopped sequence leaves with its final token")
    func stopped() throws {
        var scheduler = try Scheduler(configuration: SchedulerConfiguration(totalBlocks: 4))
        _ = scheduler.add(request(1, prompt: 3, maxTokens: 10))
        let step = scheduler.schedule(now: .zero)
        let done = scheduler.update(
            with: StepResult(stepID: step.id, completedAt: .milliseconds(1), outputs: [.number(1): .stopped(42)]))
        #expect(done == [FinishedSequence(id: .number(1), reason: .stopped, generated: [42])])
        #expect(scheduler.blocks.freeCount == 4)
        // A result for a step that is not in flight changes nothing.
        let again = scheduler.update(with: StepResult(stepID: step.id, completedAt: .zero, outputs: [:]))
        #expect(again.isEmpty)
    }

    @Test("schedule while a step is in flight hands out nothing")
    func oneStepInFlight() throws {
        var scheduler = try Scheduler(configuration: SchedulerConfiguration(totalBlocks: 4))
        _ = scheduler.add(request(1, prompt: 3, maxTokens: 10))
        let first = scheduler.schedule(now: .zero)
        #expect(!first.isEmpty)
        #expect(scheduler.schedule(now: .zero).isEmpty)
    }
}
