import BatchScheduling
import GatewayCore
import InferenceEngine
import Synchronization

/// Whether an attempt has streamed a token: set by the consuming child, read by the watcher.
private final class StreamedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { self.value.store(true, ordering: .relaxed) }
    var isSet: Bool { self.value.load(ordering: .relaxed) }
}

/// One request's view of a model version, resolved by the registry: its name says the
/// version (`smollm2@2`), and each generation goes to a replica of that version by the
/// model's routing policy. A generation that fails before its first token is retried once
/// on another replica of the same version; one that fails later ends with the error.
final class RoutedVersionEngine: TextGenerationEngine {
    let registry: ModelRegistry
    let model: String
    let version: String
    /// A replica of the version, for tokenizing and the context window.
    let template: any RoutableReplica

    init(registry: ModelRegistry, model: String, version: String, template: any RoutableReplica) {
        self.registry = registry
        self.model = model
        self.version = version
        self.template = template
    }

    deinit {
        self.registry.release(model: self.model, version: self.version)
    }

    var modelName: String { "\(self.model)@\(self.version)" }
    var modelVersion: String { self.version }
    var contextLength: Int { self.template.contextLength }
    var defaultSampling: ManifestSampling? { self.template.defaultSampling }

    func promptTokenCount(_ prompt: Prompt) throws -> Int {
        try self.template.promptTokenCount(prompt)
    }

    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: (any Error).self)
        // The request's own task: it lives exactly as long as the stream's consumer wants it.
        let task = Task { await self.run(request, continuation: continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func run(_ request: GenerationRequest, continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation) async {
        let blocks: [BlockHash]
        let tokens: Int
        if case .prefixAffinity = self.registry.configuration.policy(for: self.model),
            let ids = try? self.template.promptTokenIDs(request.prompt)
        {
            blocks = BlockHash.chain(ids, blockSize: self.template.blockSize)
            tokens = ids.count + request.maxTokens
        } else {
            blocks = []
            tokens = ((try? self.template.promptTokenCount(request.prompt)) ?? 0) + request.maxTokens
        }
        var excluded: Set<String> = []
        var overloaded: (any Error)?
        for attempt in 0..<2 {
            guard
                let lease = self.registry.acquire(
                    model: self.model, version: self.version, blocks: blocks, tokens: tokens, excluding: excluded)
            else {
                if attempt == 0 { self.registry.recordUnavailable(model: self.model, version: self.version) }
                // A replica's 429 stands when no other replica is there to try: the client
                // should back off and retry, not hear that the version is down.
                continuation.finish(
                    throwing: overloaded ?? GenerationError(.unavailable, "no healthy replica of \(self.modelName) is available"))
                return
            }
            request.timeline?.recordRouting(lease.decision)
            let result = await self.attempt(request, on: lease, continuation: continuation)
            switch result {
            case .finished(let ttft):
                self.registry.finish(lease, outcome: .succeeded(timeToFirstToken: ttft))
                continuation.finish()
                return
            case .cancelled:
                self.registry.finish(lease, outcome: .abandoned)
                continuation.finish()
                return
            case .failed(let error, let streamed):
                let replicaFault = Self.isReplicaFault(error)
                self.registry.finish(lease, outcome: replicaFault ? .failed : .abandoned)
                if streamed || attempt == 1 || !Self.isRetryable(error) {
                    continuation.finish(throwing: error)
                    return
                }
                if (error as? GenerationError)?.code == .overloaded { overloaded = error }
                excluded.insert(lease.slotID)
            }
        }
    }

    enum AttemptResult: Sendable {
        case finished(Duration?)
        case cancelled
        case failed(any Error, streamed: Bool)
    }

    /// Streams one attempt's events through, while a watcher ends it if the replica leaves
    /// rotation (stalled or failing) before the attempt finishes.
    private func attempt(
        _ request: GenerationRequest, on lease: ReplicaLease,
        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    ) async -> AttemptResult {
        if lease.injectFault {
            return .failed(GenerationError(.internalFailure, "injected fault on replica \(lease.slotID)"), streamed: false)
        }
        let streamed = StreamedFlag()
        let started = ContinuousClock.now
        return await withTaskGroup(of: AttemptResult?.self) { group in
            group.addTask {
                var firstToken: Duration?
                do {
                    for try await event in lease.replica.generate(request) {
                        if case .token = event, firstToken == nil {
                            firstToken = ContinuousClock.now - started
                            streamed.set()
                        }
                        continuation.yield(event)
                    }
                } catch {
                    return .failed(error, streamed: streamed.isSet)
                }
                return Task.isCancelled ? .cancelled : .finished(firstToken)
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(50))
                    if !self.registry.isInRotation(model: lease.model, version: lease.version, slotID: lease.slotID) {
                        return .failed(
                            GenerationError(.unavailable, "replica \(lease.slotID) left rotation (failing or stalled)"),
                            streamed: streamed.isSet)
                    }
                }
                return nil
            }
            var outcome: AttemptResult = .cancelled
            for await result in group {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
    }

    /// Failures of the replica rather than of the request.
    static func isReplicaFault(_ error: any Error) -> Bool {
        guard let error = error as? GenerationError else { return true }
        return error.code == .internalFailure || error.code == .unavailable
    }

    /// Errors another replica may not repeat: the replica's faults and its overload.
    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? GenerationError else { return true }
        return Self.isReplicaFault(error) || error.code == .overloaded
    }
}

extension ModelRegistry {
    func isInRotation(model: String, version: String, slotID: String) -> Bool {
        self.state.withLock { state in
            state.models[model]?.versions[version]?.replicas.first { $0.id == slotID }?.isInRotation(at: .now) ?? false
        }
    }
}
