@testable import BatchScheduling
import GatewayCore
import Testing

/// Drives a scheduler the way a replica does, with a fake KV cache: each step writes the
/// entries' tokens into their blocks' slots and computes next tokens from what it reads
/// back through the block tables, and every invariant is checked after every schedule.
struct Simulation {
    var scheduler: Scheduler
    var stops = false
    /// Block id → the token in each slot (nil: never written).
    var memory: [Int32: [Int32?]] = [:]
    var now: Duration = .zero
    var finished: [RequestID: FinishedSequence] = [:]
    var cancelled: Set<RequestID> = []
    var preempted: [RequestID] = []
    var steps: [Step] = []
    var maxStepTokens = 0

    init(_ configuration: SchedulerConfiguration, stops: Bool = false) throws {
        self.scheduler = try Scheduler(configuration: configuration)
        self.stops = stops
    }

    /// One schedule → execute → update round; returns the step.
    @discardableResult
    mutating func step(failing: Bool = false) -> Step {
        let step = self.scheduler.schedule(now: self.now)
        self.check(step)
        self.cancelled.formUnion(step.cancelled)
        self.preempted += step.preempted
        self.steps.append(step)
        self.maxStepTokens = max(self.maxStepTokens, step.tokenCount)
        guard !step.isEmpty else { return step }
        self.now += .milliseconds(Int64(1 + step.tokenCount))
        let result =
            failing
            ? StepResult.failed(step, completedAt: self.now, message: "forward pass failed")
            : self.execute(step)
        for done in self.scheduler.update(with: result) {
            #expect(self.finished[done.id] == nil)
            self.finished[done.id] = done
        }
        self.checkBlockOwnership()
        return step
    }

    private mutating func execute(_ step: Step) -> StepResult {
        let blockSize = self.scheduler.configuration.blockSize
        var outputs: [RequestID: SequenceOutput] = [:]
        for entry in step.entries {
            for (offset, token) in entry.tokens.enumerated() {
                let position = entry.startPosition + offset
                let block = entry.blockTable[position / blockSize]
                // Writes only ever go to a block the sequence owns alone.
                #expect(self.scheduler.blocks.referenceCount(of: block) == 1)
                self.memory[block, default: Array(repeating: nil, count: blockSize)][position % blockSize] = token
            }
            guard entry.needsLogits else { continue }
            let end = entry.startPosition + entry.tokens.count
            let context = (0..<end).map { position in
                self.memory[entry.blockTable[position / blockSize]]?[position % blockSize] ?? -1
            }
            let next = FakeModel.nextToken(after: context)
            outputs[entry.id] = self.stops && FakeModel.isStop(next) ? .stopped(nil) : .token(next)
        }
        return StepResult(stepID: step.id, completedAt: self.now, outputs: outputs)
    }

    /// Runs until nothing is left, failing the test if that takes more than `limit` steps.
    mutating func runToCompletion(limit: Int = 100_000) {
        var count = 0
        while self.scheduler.hasWork && count < limit {
            self.step()
            count += 1
        }
        #expect(!self.scheduler.hasWork, "scheduler did not drain within \(limit) steps")
    }

    private func check(_ step: Step) {
        let configuration = self.scheduler.configuration
        #expect(step.tokenCount <= configuration.maxNumBatchedTokens)
        #expect(step.entries.count <= configuration.maxNumSeqs)
        #expect(Set(step.entries.map(\.id)).count == step.entries.count)
        for entry in step.entries {
            let end = entry.startPosition + entry.tokens.count
            #expect(entry.blockTable.count == (end + configuration.blockSize - 1) / configuration.blockSize)
            #expect(!entry.tokens.isEmpty)
        }
        self.checkBlockOwnership()
    }

    /// No block is in two tables unless its reference count says so, and the free and used
    /// counts add up to the pool.
    func checkBlockOwnership() {
        let blocks = self.scheduler.blocks
        var owners: [Int32: Int] = [:]
        for id in self.scheduler.running {
            let table = self.scheduler.blockTable(of: id) ?? []
            #expect(Set(table).count == table.count)
            for block in table { owners[block, default: 0] += 1 }
        }
        for (id, sequence) in self.scheduler.sequences where !sequence.isRunning {
            #expect(sequence.blockTable.isEmpty, "waiting \(id) holds blocks")
        }
        for (block, count) in owners {
            #expect(blocks.referenceCount(of: block) == count)
        }
        #expect(blocks.usedCount == owners.count)
        #expect(blocks.freeCount + blocks.usedCount == blocks.blockCount)
    }
}

extension RequestID {
    static func number(_ value: Int) -> RequestID { RequestID("r\(value)") }
}

/// A request with `count` prompt tokens derived from `seed`.
func request(
    _ id: Int, prompt count: Int, maxTokens: Int, priority: Priority = .normal, at arrival: Duration = .zero,
    seed: Int32 = 0, deadline: Duration? = nil
) -> SchedulerRequest {
    SchedulerRequest(
        id: .number(id), promptTokens: (0..<Int32(count)).map { seed &* 7919 &+ $0 &+ 1 }, maxTokens: maxTokens,
        priority: priority, arrival: arrival, deadline: deadline)
}
