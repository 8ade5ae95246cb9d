@testable import BatchScheduling
import GatewayCore
import Testing

@Suite("Scheduler admission")
struct AdmissionTests {
    @Test("a request larger than the whole pool is a 400 that says so")
    func tooLarge() throws {
        var scheduler = try Scheduler(configuration: SchedulerConfiguration(totalBlocks: 4))
        let decision = scheduler.add(request(1, prompt: 60, maxTokens: 5))
        #expect(decision == .rejected(.tooLarge(neededTokens: 65, poolTokens: 64)))
        guard case .rejected(let rejection) = decision else { return }
        #expect(rejection.error.code == .promptTooLong)
        #expect(rejection.error.message.contains("64"))
        #expect(scheduler.add(request(2, prompt: 60, maxTokens: 4)) == .accepted)
        let absurd = scheduler.add(request(3, prompt: 8, maxTokens: Int.max))
        #expect(absurd == .rejected(.tooLarge(neededTokens: Int.max, poolTokens: 64)))
    }

    @Test("unusable requests are refused, not crashed on")
    func invalid() throws {
        var scheduler = try Scheduler(configuration: SchedulerConfiguration(totalBlocks: 4))
        #expect(scheduler.add(request(1, prompt: 0, maxTokens: 5)) == .rejected(.invalid("the prompt has no tokens")))
        #expect(scheduler.add(request(1, prompt: 3, maxTokens: 0)) == .rejected(.invalid("max_tokens must be at least 1")))
        #expect(scheduler.add(request(1, prompt: 3, maxTokens: 1)) == .accepted)
        guard case .rejected(let rejection) = scheduler.add(request(1, prompt: 3, maxTokens: 1)) else {
            Issue.record("duplicate id accepted")
            return
        }
        #expect(rejection.error.code == .invalidRequest)
        #expect(throws: SchedulerConfigurationError.self) {
            try Scheduler(configuration: SchedulerConfiguration(totalBlocks: 0))
        }
    }

    @Test("over the queue bound is a 429 with a positive Retry-After")
    func queueBound() throws {
        var scheduler = try Scheduler(
            configuration: SchedulerConfiguration(totalBlocks: 64, maxQueuedTokens: 100, initialDrainRate: 10))
        #expect(scheduler.add(request(1, prompt: 50, maxTokens: 10)) == .accepted)
        let decision = scheduler.add(request(2, prompt: 50, maxTokens: 10))
        guard case .rejected(.overloaded(let retryAfter, _)) = decision else {
            Issue.record("expected 429, got \(decision)")
            return
        }
        // 20 tokens over the bound at 10 tokens per second.
        #expect(retryAfter == .seconds(2))
        guard case .rejected(let rejection) = decision else { return }
        #expect(rejection.error.code == .overloaded)
        #expect(rejection.error.retryAfterSeconds == 2)
        #expect(scheduler.statistics.queuedTokens == 60)
    }

    @Test("a request that cannot start before its deadline at the measured drain rate is a 429")
    func deadline() throws {
        var scheduler = try Scheduler(
            configuration: SchedulerConfiguration(
                maxNumBatchedTokens: 100, maxNumSeqs: 1, prefillChunkSize: 100, totalBlocks: 256,
                defaultDeadline: .seconds(5)))
        #expect(scheduler.add(request(1, prompt: 100, maxTokens: 100)) == .accepted)
        #expect(scheduler.add(request(2, prompt: 100, maxTokens: 100)) == .accepted)
        // One step of 100 tokens that took a second while request 2 waited: the drain rate
        // becomes 100 tokens/s.
        let step = scheduler.schedule(now: .zero)
        #expect(step.tokenCount == 100)
        _ = scheduler.update(with: StepResult(stepID: step.id, completedAt: .seconds(1), outputs: [.number(1): .token(7)]))
        #expect(scheduler.statistics.drainRate == 100)
        for id in 3...4 {
            #expect(scheduler.add(request(id, prompt: 100, maxTokens: 100, at: .seconds(1))) == .accepted)
        }
        // 600 tokens of normal demand ahead → expected start after 6 s, past the 5 s default.
        let late = scheduler.add(request(5, prompt: 10, maxTokens: 10, at: .seconds(1)))
        guard case .rejected(.overloaded(let retryAfter, _)) = late else {
            Issue.record("expected 429, got \(late)")
            return
        }
        #expect(retryAfter == .seconds(1))
        // A longer deadline or timeout of its own, or a higher priority, gets in.
        #expect(scheduler.add(request(6, prompt: 10, maxTokens: 10, at: .seconds(1), deadline: .seconds(8))) == .accepted)
        var patient = request(8, prompt: 10, maxTokens: 10, at: .seconds(1))
        patient.timeout = .seconds(9)
        #expect(scheduler.add(patient) == .accepted)
        var hasty = request(9, prompt: 10, maxTokens: 10, at: .seconds(1))
        hasty.timeout = .seconds(2)
        guard case .rejected(.overloaded) = scheduler.add(hasty) else {
            Issue.record("a 2 s timeout behind 7 s of work was accepted")
            return
        }
        #expect(scheduler.add(request(7, prompt: 10, maxTokens: 10, priority: .high, at: .seconds(1))) == .accepted)
    }

    @Test("a slow step with nobody waiting does not lower the drain rate; one with a backlog does")
    func drainRateIsMeasuredUnderBacklog() throws {
        var scheduler = try Scheduler(
            configuration: SchedulerConfiguration(
                maxNumBatchedTokens: 100, maxNumSeqs: 1, prefillChunkSize: 100, totalBlocks: 256, initialDrainRate: 1_000))
        #expect(scheduler.add(request(1, prompt: 10, maxTokens: 100)) == .accepted)
        // A lone sequence: 10 tokens in a second says nothing about capacity.
        var step = scheduler.schedule(now: .zero)
        _ = scheduler.update(with: StepResult(stepID: step.id, completedAt: .seconds(1), outputs: [.number(1): .token(7)]))
        #expect(scheduler.statistics.drainRate == 1_000)
        // With request 2 waiting behind the one slot, the same pace is the replica's capacity.
        #expect(scheduler.add(request(2, prompt: 10, maxTokens: 100, at: .seconds(1))) == .accepted)
        step = scheduler.schedule(now: .seconds(1))
        #expect(step.tokenCount == 1)
        _ = scheduler.update(with: StepResult(stepID: step.id, completedAt: .seconds(2), outputs: [.number(1): .token(7)]))
        #expect(scheduler.statistics.drainRate == 1)
    }

    @Test("with free slots and blocks only the prompts ahead count toward the expected start")
    func freeSlotsWaitOnlyForPrompts() throws {
        var scheduler = try Scheduler(
            configuration: SchedulerConfiguration(
                maxNumSeqs: 8, totalBlocks: 256, defaultDeadline: .seconds(5), initialDrainRate: 100))
        // 300 tokens of prompt ahead (3 s at 100 tokens/s), 3,300 of demand (33 s): three
        // waiting requests and a fourth fit the eight slots, so the fourth is expected at 3 s.
        for id in 1...3 {
            #expect(scheduler.add(request(id, prompt: 100, maxTokens: 1_000)) == .accepted)
        }
        #expect(scheduler.add(request(4, prompt: 10, maxTokens: 1_000)) == .accepted)
        // With a single slot free the same queue must drain first: 4,310 tokens, 43 s.
        var narrow = try Scheduler(
            configuration: SchedulerConfiguration(
                maxNumSeqs: 3, totalBlocks: 256, defaultDeadline: .seconds(5), initialDrainRate: 100))
        for id in 1...3 {
            #expect(narrow.add(request(id, prompt: 100, maxTokens: 1_000)) == .accepted)
        }
        guard case .rejected(.overloaded) = narrow.add(request(4, prompt: 10, maxTokens: 1_000)) else {
            Issue.record("expected 429 with no slot free for the fourth request")
            return
        }
    }
}
