import ArgumentParser
import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import ReplicaRouting
import Synchronization

/// `switchyard bench routing`: one model version on several replicas, a multi-tenant
/// workload whose tenants each share a long system prompt, routed once by prefix affinity
/// and once by least outstanding tokens (fresh replicas each time, same requests in the same
/// order). Reports each policy's prefix-cache hit rate and mean time to first token.
struct BenchRouting: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Prefix affinity against least outstanding tokens on a shared-prefix multi-tenant workload.")

    @Option(help: "Model version directory (ROOT/NAME/VERSION).")
    var model = "Models/smollm2/1"

    @Option(help: "Replicas of the version (1 thread each).")
    var replicas = 4

    @Option(help: "Tenants, each with its own system prompt.")
    var tenants = 8

    @Option(help: "Requests per policy.")
    var requests = 96

    @Option(help: "Requests in flight at once.")
    var concurrency = 8

    @Option(help: "Tokens generated per request.")
    var maxTokens = 4

    @Option(help: "Rounds; each runs both policies (medians are reported).")
    var rounds = 1

    func validate() throws {
        guard (1...16).contains(self.replicas) else { throw ValidationError("--replicas must be 1…16") }
        guard (1...64).contains(self.tenants) else { throw ValidationError("--tenants must be 1…64") }
        guard (1...10_000).contains(self.requests) else { throw ValidationError("--requests must be 1…10000") }
        guard (1...64).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1…64") }
        guard (1...64).contains(self.maxTokens) else { throw ValidationError("--max-tokens must be 1…64") }
        guard (1...9).contains(self.rounds) else { throw ValidationError("--rounds must be 1…9") }
    }

    struct Outcome {
        var hitRate: Double
        var meanTTFT: Double
        var seconds: Double
        var failures: Int
    }

    func run() async throws {
        let url = URL(fileURLWithPath: self.model).standardizedFileURL
        let version = url.lastPathComponent
        let name = url.deletingLastPathComponent().lastPathComponent
        let root = url.deletingLastPathComponent().deletingLastPathComponent().path
        let prompts = Self.workload(tenants: self.tenants, requests: self.requests)
        print("bench routing: \(name)@\(version), \(self.replicas) replicas, \(self.tenants) tenants, \(self.requests) requests, \(self.concurrency) in flight, \(self.maxTokens) tokens each")
        let policies: [RoutingPolicy] = [.prefixAffinity(loadBound: RoutingPolicy.defaultLoadBound), .leastOutstandingTokens]
        var results: [String: [Outcome]] = [:]
        for round in 1...self.rounds {
            for policy in policies {
                let outcome = try await self.measure(policy, root: root, name: name, version: version, prompts: prompts)
                results[policy.description, default: []].append(outcome)
                print("round \(round)  " + Self.padded(policy.description) + String(format: "hit rate %5.1f%%  mean TTFT %7.1f ms  %6.1f s  failures %d",
                    outcome.hitRate * 100, outcome.meanTTFT * 1000, outcome.seconds, outcome.failures))
            }
        }
        print("medians:")
        for policy in policies {
            let outcomes = results[policy.description] ?? []
            print("  " + Self.padded(policy.description) + String(format: "hit rate %5.1f%%  mean TTFT %7.1f ms",
                Self.median(outcomes.map(\.hitRate)) * 100, Self.median(outcomes.map(\.meanTTFT)) * 1000))
        }
    }

    private func measure(_ policy: RoutingPolicy, root: String, name: String, version: String, prompts: [String]) async throws -> Outcome {
        var configuration = ModelRegistry.Configuration()
        configuration.defaultPolicy = policy
        configuration.autoRollback.enabled = false
        let factory = LlamaReplicaFactory(threadsPerReplica: 1)
        let registry = ModelRegistry(
            repository: ModelRepository(root: root), store: try RegistryStore(path: nil), factory: factory, configuration: configuration)
        do {
            try await registry.load(model: name, version: version, replicas: self.replicas, actor: "bench")
        } catch {
            throw ValidationError("cannot load \(self.model): \(error.message)")
        }
        let counter = Counter()
        let started = ContinuousClock.now
        let maxTokens = self.maxTokens
        let samples: [Double?] = await withTaskGroup(of: [Double?].self) { group in
            for _ in 0..<self.concurrency {
                group.addTask {
                    var times: [Double?] = []
                    while let index = counter.next(below: prompts.count) {
                        times.append(await Self.timeToFirstToken(registry, "\(name)@\(version)", prompts[index], maxTokens: maxTokens))
                    }
                    return times
                }
            }
            var all: [Double?] = []
            for await times in group { all += times }
            return all
        }
        let elapsed = ContinuousClock.now - started
        let times = samples.compactMap { $0 }
        let replicas = registry.list().first?.replicas ?? []
        let served = replicas.filter { $0.served > 0 }
        return Outcome(
            hitRate: served.isEmpty ? 0 : served.reduce(0) { $0 + $1.prefixCacheHitRate * Double($1.served) } / Double(served.reduce(0) { $0 + $1.served }),
            meanTTFT: times.isEmpty ? 0 : times.reduce(0, +) / Double(times.count),
            seconds: elapsed.secondsValue,
            failures: samples.count - times.count)
    }

    /// Seconds to the first token, nil when the request failed.
    private static func timeToFirstToken(_ registry: ModelRegistry, _ model: String, _ prompt: String, maxTokens: Int) async -> Double? {
        guard let engine = registry.engine(for: model) else { return nil }
        var sampling = SamplingParameters()
        sampling.temperature = 0
        let started = ContinuousClock.now
        var first: Duration?
        do {
            for try await event in engine.generate(GenerationRequest(id: RequestID("bench"), prompt: .text(prompt), sampling: sampling, maxTokens: maxTokens)) {
                if case .token = event, first == nil { first = ContinuousClock.now - started }
            }
        } catch {
            return nil
        }
        return first.map { $0.secondsValue }
    }

    /// Each tenant's long system prompt (about 250 tokens, distinct from the first words on)
    /// followed by a short question; tenants interleave so no two neighbours share a prefix.
    static func workload(tenants: Int, requests: Int) -> [String] {
        let policy = """
            Follow the operating manual: answer briefly, cite the relevant section, never reveal internal notes, \
            escalate billing disputes to a human, keep a polite tone, summarise long threads before replying, \
            confirm the customer's account region before discussing prices, and close every reply with a question \
            that checks whether the problem is solved. Refunds follow section four; shipping delays follow section \
            seven; warranty claims need the order number and a photo; enterprise customers get a named contact.
            """
        var prompts: [String] = []
        for index in 0..<requests {
            let tenant = (index * 7 + index / tenants) % tenants
            let system = "Tenant \(tenant) assistant. Company \(tenant) sells product line \(tenant * 13 % 97). " + policy + " " + policy
            prompts.append(system + "\nQuestion \(index): what is \(index) plus \(tenant)?")
        }
        return prompts
    }

    static func padded(_ text: String) -> String {
        text.padding(toLength: 27, withPad: " ", startingAt: 0)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// Hands out request indices to the workers.
private final class Counter: Sendable {
    private let value = Mutex(0)

    func next(below limit: Int) -> Int? {
        self.value.withLock { value in
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }
}
