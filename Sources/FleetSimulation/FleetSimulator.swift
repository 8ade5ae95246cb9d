import BatchScheduling
import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import ReplicaRouting

/// Runs a workload over a simulated fleet on a virtual clock: no sleeping, no model. Each
/// replica is the same `StepDriver` over the same `BatchScheduling.Scheduler` that a serving
/// replica runs, with `SimulatedStepExecutor` timing its steps by the cost model; each arrival
/// goes where ReplicaRouting's policy (`setup.routingPolicy`) sends it, as in `serve`.
public struct FleetSimulator: Sendable {
    public let setup: SimulationSetup
    public let fleet: Fleet
    public let devices: [ReplicaDevice]
    public let kvTokensPerReplica: Int
    /// Every replica starts from a copy of this empty scheduler.
    public let scheduler: Scheduler

    public init(setup: SimulationSetup) throws(SimulationError) {
        self.setup = setup
        (self.fleet, self.devices, self.kvTokensPerReplica) = try setup.place()
        let configuration = SchedulerConfiguration(
            maxNumBatchedTokens: setup.maxBatchedTokens, maxNumSeqs: setup.maxNumSeqs,
            prefillChunkSize: setup.maxBatchedTokens, blockSize: Self.blockSize,
            totalBlocks: self.kvTokensPerReplica / Self.blockSize, maxQueuedTokens: Int.max / 4,
            defaultDeadline: setup.deadline, initialDrainRate: 10_000)
        do {
            self.scheduler = try Scheduler(configuration: configuration)
        } catch {
            throw SimulationError(error.description)
        }
    }

    /// Tokens per KV block, as the serving replicas use.
    public static let blockSize = 16

    /// One replica on the virtual clock.
    struct Replica {
        var driver: StepDriver
        let executor: SimulatedStepExecutor
        var inFlight: (step: Step, executed: ExecutedStep, end: Duration)?
        var outstanding = 0
        /// Prompt plus completion budget of the requests routed here and not finished.
        var outstandingTokens = 0
        /// KV blocks in use × seconds, and the busy seconds they were sampled over.
        var kvBlockSeconds = 0.0
        var busySeconds = 0.0
        var peakBlocks = 0
    }

    /// What happened to each request, in workload order.
    struct Timeline {
        var arrival: [Double]
        var firstToken: [Double?]
        var lastToken: [Double?]
        var finish: [Double?]
        var outputTokens: [Int]
        var rejected: [Bool]
        var interTokenGaps: [Double] = []

        init(count: Int) {
            self.arrival = Array(repeating: 0, count: count)
            self.firstToken = Array(repeating: nil, count: count)
            self.lastToken = Array(repeating: nil, count: count)
            self.finish = Array(repeating: nil, count: count)
            self.outputTokens = Array(repeating: 0, count: count)
            self.rejected = Array(repeating: false, count: count)
        }
    }

    public func run(_ workload: Workload) -> SimulationResult {
        let started = ContinuousClock.now
        let profile = self.setup.profile
        var replicas = self.devices.map { device in
            Replica(
                driver: StepDriver(scheduler: self.scheduler, device: device, recordsExecutions: false),
                executor: SimulatedStepExecutor(costModel: device.costModel))
        }
        let requests = workload.requests
        var timeline = Timeline(count: requests.count)
        var indexOf: [RequestID: Int] = [:]
        indexOf.reserveCapacity(requests.count)
        var routingRandom = SplitMix64(seed: 0x5EED)
        var routedTokens = [Int](repeating: 0, count: requests.count)
        var steps: [StepRecord] = []
        var next = 0

        while true {
            let nextArrival: Duration? = next < requests.count ? .seconds(requests[next].arrival) : nil
            let nextEnd = replicas.compactMap { $0.inFlight?.end }.min()
            guard let now = [nextArrival, nextEnd].compactMap({ $0 }).min() else { break }
            let time = now.secondsValue

            // Steps that end now report back first, so their freed blocks serve the arrivals.
            for index in replicas.indices {
                guard let flight = replicas[index].inFlight, flight.end == now else { continue }
                replicas[index].inFlight = nil
                for (id, output) in flight.executed.outputs {
                    guard case .token = output, let request = indexOf[id] else { continue }
                    if let last = timeline.lastToken[request] { timeline.interTokenGaps.append(time - last) }
                    if timeline.firstToken[request] == nil { timeline.firstToken[request] = time }
                    timeline.lastToken[request] = time
                    timeline.outputTokens[request] += 1
                }
                for done in replicas[index].driver.complete(flight.step, with: flight.executed, at: now) {
                    guard let request = indexOf[done.sequence.id] else { continue }
                    timeline.finish[request] = time
                    replicas[index].outstanding -= 1
                    replicas[index].outstandingTokens -= routedTokens[request]
                }
            }

            // Every request that has arrived by now, to the least-loaded replica.
            while next < requests.count, Duration.seconds(requests[next].arrival) <= now {
                let request = requests[next]
                let id = RequestID("r\(next)")
                indexOf[id] = next
                timeline.arrival[next] = request.arrival
                let prompt = workload.promptTokens(of: next, blockSize: Self.blockSize, vocabularySize: profile.vocabularySize)
                let blocks = self.setup.routingPolicy == .leastOutstandingTokens ? [] : BlockHash.chain(prompt, blockSize: Self.blockSize)
                let tokens = prompt.count + request.outputTokens
                let candidates = replicas.indices.map { index in
                    let statistics = replicas[index].driver.scheduler.statistics
                    return RoutingCandidate(
                        index: index, outstandingTokens: replicas[index].outstandingTokens, inFlight: replicas[index].outstanding,
                        load: ReplicaLoad(
                            running: statistics.running, waiting: statistics.waiting,
                            usedBlocks: statistics.usedBlocks, totalBlocks: statistics.totalBlocks),
                        prefixMatch: blocks.isEmpty ? 0 : replicas[index].driver.prefixCacheView.match(blocks))
                }
                let target = self.setup.routingPolicy.choose(candidates, requestTokens: tokens, using: &routingRandom) ?? 0
                let decision = replicas[target].driver.submit(
                    SchedulerRequest(
                        id: id, promptTokens: prompt, maxTokens: request.outputTokens, priority: request.priority, arrival: now))
                if decision == .accepted {
                    replicas[target].outstanding += 1
                    replicas[target].outstandingTokens += tokens
                    routedTokens[next] = tokens
                } else {
                    timeline.rejected[next] = true
                }
                next += 1
            }

            // Idle replicas with work start their next step now.
            for index in replicas.indices where replicas[index].inFlight == nil && replicas[index].driver.hasWork {
                let step = replicas[index].driver.nextStep(now: now)
                guard !step.isEmpty else { continue }
                let executed = replicas[index].executor.execute(step)
                replicas[index].inFlight = (step, executed, now + executed.deviceTime)
                let used = replicas[index].driver.scheduler.blocks.usedCount
                let stepSeconds = executed.deviceTime.secondsValue
                replicas[index].kvBlockSeconds += Double(used) * stepSeconds
                replicas[index].busySeconds += stepSeconds
                replicas[index].peakBlocks = max(replicas[index].peakBlocks, used)
                if self.setup.recordSteps { steps.append(StepRecord(replica: index, step: step)) }
            }
        }

        let statistics = replicas.map { $0.driver.scheduler.statistics }
        let totalBlocks = Double(self.scheduler.configuration.totalBlocks)
        let busy = replicas.reduce(0) { $0 + $1.busySeconds }
        let kv = KVUsage(
            mean: busy > 0 ? replicas.reduce(0) { $0 + $1.kvBlockSeconds } / busy / totalBlocks : 0,
            peak: Double(replicas.map(\.peakBlocks).max() ?? 0) / totalBlocks)
        return SimulationResult(
            workload: workload, timeline: timeline, kvUsage: kv,
            steps: statistics.reduce(0) { $0 + $1.steps }, preemptions: statistics.reduce(0) { $0 + $1.preemptions },
            prefixCacheHits: statistics.reduce(0) { $0 + $1.prefixCacheHits },
            prefixCacheQueries: statistics.reduce(0) { $0 + $1.prefixCacheQueries },
            stepRecords: steps, wallTime: ContinuousClock.now - started)
    }
}

/// The shape of one step as a replica ran it: which sequences, which kind, which positions.
public struct StepRecord: Sendable, Equatable, CustomStringConvertible {
    public struct Entry: Sendable, Equatable {
        public var id: RequestID
        public var kind: ScheduledSequence.Kind
        public var startPosition: Int
        public var tokens: Int
    }

    public var replica: Int
    public var stepID: UInt64
    public var entries: [Entry]
    public var preempted: [RequestID]

    public init(replica: Int, step: Step) {
        self.replica = replica
        self.stepID = step.id
        self.entries = step.entries.map {
            Entry(id: $0.id, kind: $0.kind, startPosition: $0.startPosition, tokens: $0.tokens.count)
        }
        self.preempted = step.preempted
    }

    public var description: String {
        "step \(self.stepID)@\(self.replica): " + self.entries.map { "\($0.id)\($0.kind == .decode ? "d" : "p")\($0.startPosition)+\($0.tokens)" }.joined(separator: " ")
    }
}

/// Blocks in use over the pool: time-weighted mean over busy time, and the peak.
public struct KVUsage: Sendable, Equatable, Codable {
    public var mean: Double
    public var peak: Double
}
