import BatchScheduling
import DeviceSimulation
import GatewayCore
import InferenceEngine
import ReplicaRouting
import Synchronization

/// A replica without a model: it answers with one token per word of the prompt (ids from
/// `tokenOffset`), or fails, or stalls, as the test asks.
struct FakeReplica: RoutableReplica {
    enum Behavior: Sendable {
        case answer(tokenOffset: Int32, interval: Duration)
        /// Fails every request before its first token.
        case fail
        /// Refuses every request with 429, as a replica's admission does under overload.
        case overloaded
        /// Accepts requests and never makes progress.
        case stall
    }

    final class Counters: Sendable {
        let running = Mutex(0)
        let requests = Mutex(0)
        /// Block hashes of the prompts answered: the fake's prefix cache.
        let cached = Mutex(Set<BlockHash>())
    }

    let modelName: String
    let modelVersion: String
    let behavior: Behavior
    let counters = Counters()

    var contextLength: Int { 4096 }
    var blockSize: Int { 2 }

    var load: ReplicaLoad {
        var running = self.counters.running.withLock { $0 }
        // A stalled step loop never gets to drop its cancelled sequences.
        if case .stall = self.behavior, self.counters.requests.withLock({ $0 }) > 0 { running = max(running, 1) }
        return ReplicaLoad(running: running, usedBlocks: running, totalBlocks: 64, steps: 7)
    }

    var prefixCache: PrefixCacheView { PrefixCacheView(hashes: self.counters.cached.withLock { $0 }) }

    func promptTokenIDs(_ prompt: Prompt) throws -> [Int32] {
        Self.words(prompt).map { Int32(truncatingIfNeeded: $0.hashValue & 0xffff) }
    }

    func promptTokenCount(_ prompt: Prompt) throws -> Int { Self.words(prompt).count }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let behavior = self.behavior
        let counters = self.counters
        let count = min(max(1, Self.words(request.prompt).count), request.maxTokens)
        let blocks = (try? self.promptTokenIDs(request.prompt)).map { BlockHash.chain($0, blockSize: self.blockSize) } ?? []
        counters.requests.withLock { $0 += 1 }
        return AsyncThrowingStream { continuation in
            let task = Task {
                counters.running.withLock { $0 += 1 }
                defer { counters.running.withLock { $0 -= 1 } }
                switch behavior {
                case .fail:
                    continuation.finish(throwing: GenerationError(.internalFailure, "fake replica failure"))
                case .overloaded:
                    continuation.finish(throwing: GenerationError(.overloaded, "fake replica overloaded", retryAfterSeconds: 2))
                case .stall:
                    while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(10)) }
                    continuation.finish()
                case .answer(let offset, let interval):
                    for index in 0..<count {
                        if interval > .zero { try? await Task.sleep(for: interval) }
                        if Task.isCancelled { break }
                        continuation.yield(.token(GeneratedToken(id: offset + Int32(index), text: " w\(index)")))
                    }
                    counters.cached.withLock { $0.formUnion(blocks) }
                    continuation.yield(.finished(.length, Usage(promptTokens: count, completionTokens: count)))
                    continuation.finish()
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func words(_ prompt: Prompt) -> [Substring] {
        switch prompt {
        case .text(let text): text.split(separator: " ")
        case .chat(let messages): messages.flatMap { $0.content.split(separator: " ") }
        }
    }
}

/// Makes fake replicas: behaviour by version, and by `version#index` for single replicas.
/// With `devices`, each replica is pinned first as `profile` (a catalog profile), as
/// `LlamaReplicaFactory` pins real ones, and unpinned when the registry releases it.
struct FakeFactory: ReplicaFactory {
    var behaviors: [String: FakeReplica.Behavior]
    var devices: DeviceFleet?
    var profile = "smollm2"
    /// For manifests that name no `tensor_parallel`.
    var tensorParallel = 1
    var kvReserveTokens = 4096

    init(_ behaviors: [String: FakeReplica.Behavior]) {
        self.behaviors = behaviors
    }

    func makeReplica(manifest: ModelManifest, index: Int, id: String) throws -> any RoutableReplica {
        let behavior =
            self.behaviors["\(manifest.version)#\(index)"] ?? self.behaviors[manifest.version]
            ?? .answer(tokenOffset: 100, interval: .zero)
        if let devices = self.devices {
            _ = try devices.pin(
                id, profile: try ModelCatalog.standard.profile(named: self.profile), tensorParallel: manifest.tensorParallel ?? self.tensorParallel,
                kvReserveTokens: self.kvReserveTokens)
        }
        return FakeReplica(modelName: manifest.name, modelVersion: manifest.version, behavior: behavior)
    }

    func releaseReplica(id: String) {
        try? self.devices?.unpin(id)
    }
}
