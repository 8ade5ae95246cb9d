import BatchScheduling
import DecodeKernels
import Foundation
import GatewayCore
import ModelRuntime

/// One replica of a Llama-family model version: the weights, a paged KV cache sized for
/// `Configuration.kvTokens`, and a step loop on a thread of its own that runs every admitted
/// sequence in one mixed batch per iteration (a decode token for each running sequence, the
/// rest of the token budget in prompt chunks).
///
/// A `BatchScheduling.Scheduler` decides every step: admission (429 and 400 answers at
/// submit time), on-demand KV blocks whose ids index the cache directly, prefix sharing and
/// preemption by recompute. The loop runs what it decides and samples the tokens.
public final class LlamaReplica: TextGenerationEngine, @unchecked Sendable {
    // @unchecked Sendable: the immutable model parts are read-only after init; `sequences`
    // and `nextID` are guarded by `sequencesLock`; the scheduler lives in `loop` under its
    // own lock; the sequences' samplers and detokenizers are touched only by the loop's thread.

    public struct Configuration: Sendable {
        public var kvFormat: KVCacheFormat = .int8
        /// KV cache capacity in tokens, across all sequences, for a replica pinned to no
        /// device (a pinned one takes its ledger's KV share, capped by `hostKVBudgetBytes`).
        public var kvTokens: Int = 16_384
        /// Tokens one forward pass may carry (decode tokens plus prompt chunks).
        public var maxBatchTokens: Int = 256
        /// Sequences that may run at once.
        public var maxSequences: Int = 16
        /// Most tokens of demand (prompt plus max tokens) the waiting queue may hold before
        /// new requests are refused with 429.
        public var maxQueuedTokens: Int = 1 << 20
        /// How long a request may wait to start when it names no timeout of its own; one that
        /// cannot be expected to start in time is refused at once with 429.
        public var defaultRequestTimeout: Duration = .seconds(30)
        /// Whether full prompt blocks are shared between sequences through the prefix cache.
        public var enablePrefixCaching: Bool = true
        /// Worker threads, the step loop's own included.
        public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        /// The simulated device the replica is pinned to; nil: none (no device time).
        public var device: ReplicaDevice?
        /// Host memory the CPU's KV cache of a pinned replica may take: the device's KV
        /// share can be far larger than this machine should allocate.
        public var hostKVBudgetBytes: Int = 512 << 20
        /// Whether steps are released at the simulated device's pace.
        public var pacing: ReplicaPacing = .none
        /// Tensor-parallel degree of the simulated devices a replica is pinned to, for a
        /// manifest that names none. It sets placement (a TP group inside one node) and the
        /// cost model's all-reduces; the CPU still runs the whole model as one replica.
        public var tensorParallel: Int = 1
        /// The registry's id for the replica (`smollm2@1#0`), so replicas of one version are
        /// told apart in metrics and traces; nil names it `model@version`.
        public var replicaID: String?

        public init() {}
    }

    public let modelName: String
    public let modelVersion: String
    public let contextLength: Int
    public let configuration: Configuration
    /// Tokens the KV pool holds (from `kvTokens`, or the device's share under the host cap).
    public let kvTokens: Int
    /// The manifest's `default_sampling`.
    public let defaultSampling: ManifestSampling?

    let tokenizer: Tokenizer
    let chatTemplate: ChatTemplate
    /// Tokens that end a generation: end-of-sequence and the chat template's end of turn.
    let stopTokenIDs: Set<Int32>
    let context: LlamaContext
    let cache: PagedKVCache
    let loop: ReplicaStepLoop

    let sequencesLock = NSLock()
    /// Sequences the scheduler holds (or is being offered), by id; removed as they end.
    var sequences: [RequestID: ReplicaSequence] = [:]
    var nextID: UInt64 = 0

    /// Load figures as of now.
    public var statistics: ReplicaStatistics { self.loop.statistics }

    public init(manifest: ModelManifest, configuration: Configuration = Configuration()) throws {
        let file = try GGUFFile(path: manifest.weightsPath)
        let model = try LlamaModel(file: file)
        self.modelName = manifest.name
        self.modelVersion = manifest.version
        self.defaultSampling = manifest.defaultSampling
        self.contextLength = model.configuration.contextLength
        self.configuration = configuration
        self.tokenizer = try Tokenizer(gguf: file)
        self.chatTemplate = try ChatTemplate(gguf: file)
        guard self.chatTemplate.family.rawValue == manifest.chatTemplate else {
            throw ManifestError(
                "\(manifest.weightsPath): chat template is \(self.chatTemplate.family.rawValue), manifest says \(manifest.chatTemplate)")
        }
        var stops = Set(try self.chatTemplate.stopTokenIDs(in: self.tokenizer))
        if let eos = self.tokenizer.eosTokenID { stops.insert(eos) }
        self.stopTokenIDs = stops
        let pool = ThreadPool(threadCount: max(1, configuration.threads))
        self.context = LlamaContext(model: model, maxBatchTokens: configuration.maxBatchTokens, pool: pool)
        self.kvTokens = try Self.kvTokens(for: configuration, model: model.configuration)
        let blocks = (self.kvTokens + PagedKVCache.tokensPerBlock - 1) / PagedKVCache.tokensPerBlock
        self.cache = try self.context.makeCache(blockCount: blocks, format: configuration.kvFormat)
        let drainRate = Self.calibrateDrainRate(
            context: self.context, cache: self.cache, sequences: configuration.maxSequences)
        let scheduler = try Scheduler(
            configuration: SchedulerConfiguration(
                maxNumBatchedTokens: configuration.maxBatchTokens, maxNumSeqs: configuration.maxSequences,
                prefillChunkSize: configuration.maxBatchTokens, blockSize: PagedKVCache.tokensPerBlock,
                totalBlocks: blocks, maxQueuedTokens: configuration.maxQueuedTokens,
                defaultDeadline: configuration.defaultRequestTimeout,
                initialDrainRate: drainRate ?? SchedulerConfiguration.uncalibratedDrainRate,
                enablePrefixCaching: configuration.enablePrefixCaching))
        let sampling = SamplingBridge()
        let executor = CPUStepExecutor(
            context: self.context, cache: self.cache, costModel: configuration.device?.costModel,
            sample: { entry, logits in sampling.sample(entry, logits) })
        self.loop = ReplicaStepLoop(
            driver: StepDriver(scheduler: scheduler, device: configuration.device), executor: executor,
            pacing: configuration.pacing)
        sampling.replica = self
        self.loop.start(name: "replica \(manifest.name)@\(manifest.version)", observer: self)
    }

    /// The loop holds the replica weakly, so a replica nobody uses ends its thread.
    deinit {
        self.loop.stop()
    }

    /// The pool size: the configured tokens, or for a pinned replica the ledger's KV share
    /// capped by what the host budget buys at the CPU cache's bytes per token.
    static func kvTokens(for configuration: Configuration, model: ModelRuntime.LlamaConfiguration) throws -> Int {
        guard let device = configuration.device else { return configuration.kvTokens }
        let bytesPerToken = configuration.kvFormat.hostBytesPerToken(
            layers: model.blockCount, kvHeads: model.kvHeadCount, headSize: model.headDimension)
        let hostTokens = max(configuration.hostKVBudgetBytes, 0) / max(bytesPerToken, 1)
        let tokens = min(device.kvTokenShare, hostTokens)
        guard tokens >= PagedKVCache.tokensPerBlock else {
            throw ManifestError(
                "the KV pool would hold \(tokens) tokens (device share \(device.kvTokenShare), host budget \(hostTokens)); at least \(PagedKVCache.tokensPerBlock) are needed")
        }
        return tokens
    }

    public func promptTokenCount(_ prompt: Prompt) throws -> Int {
        try self.tokens(for: prompt).count
    }

    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: (any Error).self)
        let sequence: ReplicaSequence
        do {
            sequence = try self.makeSequence(request, continuation: continuation)
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        // Registered before the scheduler sees it, so the loop always finds its state.
        let id = self.sequencesLock.withLock {
            self.nextID += 1
            let id = RequestID("\(request.id.rawValue)/\(self.nextID)")
            sequence.id = id
            self.sequences[id] = sequence
            return id
        }
        self.recordArrival(of: sequence)
        let decision = self.loop.submit(
            SchedulerRequest(
                id: id, promptTokens: sequence.prompt, maxTokens: sequence.maxTokens, priority: request.priority,
                arrival: .zero, timeout: request.requestTimeout))
        if case .rejected(let rejection) = decision {
            self.sequencesLock.withLock { self.sequences[id] = nil }
            continuation.finish(throwing: rejection.error)
            return stream
        }
        continuation.onTermination = { [weak self] termination in
            if case .cancelled = termination { self?.cancel(id) }
        }
        return stream
    }

    /// Prompt token ids: chat prompts through the model's template, text as given.
    func tokens(for prompt: Prompt) throws -> [Int32] {
        do {
            switch prompt {
            case .text(let text):
                return self.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
            case .chat(let messages):
                let rendered = self.chatTemplate.render(
                    messages.map { ModelRuntime.ChatMessage(role: $0.role, content: $0.content) })
                return try self.tokenizer.encode(rendered, addSpecial: true)
            }
        } catch {
            throw GenerationError(.invalidRequest, "\(error)")
        }
    }

    private func makeSequence(
        _ request: GenerationRequest,
        continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
    ) throws -> ReplicaSequence {
        let prompt = try self.tokens(for: request.prompt)
        guard !prompt.isEmpty else {
            throw GenerationError(.invalidRequest, "the prompt is empty")
        }
        guard prompt.count < self.contextLength else {
            throw GenerationError(
                .promptTooLong,
                "the prompt is \(prompt.count) tokens; this model's context window is \(self.contextLength) tokens")
        }
        let maxTokens = min(request.maxTokens, self.contextLength - prompt.count)
        let sampler: Sampler
        do {
            sampler = try Sampler(
                configuration: SamplerConfiguration(request.sampling, stopTokenIDs: self.stopTokenIDs),
                promptTokens: prompt)
        } catch {
            throw GenerationError(.invalidRequest, "\(error)")
        }
        return ReplicaSequence(
            prompt: prompt, maxTokens: maxTokens, sampler: sampler,
            detokenizer: StreamingDetokenizer(tokenizer: self.tokenizer),
            stopMatcher: StopSequenceMatcher(stopSequences: request.stopSequences),
            wantsLogprobs: request.sampling.topLogprobs != nil, continuation: continuation,
            timeline: request.timeline)
    }
}

extension SamplerConfiguration {
    init(_ sampling: SamplingParameters, stopTokenIDs: Set<Int32>) {
        self.init(
            temperature: sampling.temperature, topP: sampling.topP, topK: sampling.topK, minP: sampling.minP,
            presencePenalty: sampling.presencePenalty, frequencyPenalty: sampling.frequencyPenalty,
            repetitionPenalty: sampling.repetitionPenalty, seed: sampling.seed, stopTokenIDs: stopTokenIDs,
            topLogprobs: sampling.topLogprobs)
    }
}
