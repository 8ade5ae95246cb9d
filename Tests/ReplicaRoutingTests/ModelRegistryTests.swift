import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import Testing

@testable import ReplicaRouting

/// The registry over fake replicas: lifecycle, routing by weights, health, drain, refusals
/// that leave the state unchanged, persistence.
@Suite struct ModelRegistryTests {
    static let golden = #"[{"name": "abc", "prompt": "a b c", "greedy_tokens": [100, 101, 102]}]"#

    func makeRegistry(
        _ fixture: RepositoryFixture, _ factory: FakeFactory, configure: (inout ModelRegistry.Configuration) -> Void = { _ in }
    ) throws -> ModelRegistry {
        var configuration = ModelRegistry.Configuration()
        configuration.autoRollback.minimumRequests = 6
        configuration.autoRollback.errorRateMargin = 0.2
        // Rollback on latency is unit-tested on the window itself (RoutingPolicyTests); here a
        // scheduling stall on a loaded CI host once made a canary look slow and rolled it back.
        configuration.autoRollback.minimumTTFTExcess = .seconds(60)
        configuration.ejectionInterval = .seconds(30)
        // Fakes answer in milliseconds; the parallel test pass once held the cooperative
        // threads for 36 s at its start, and a fake's validation failed the 30 s smoke limit.
        configuration.smokeTimeToFirstTokenLimit = .seconds(300)
        configure(&configuration)
        var factory = factory
        if factory.devices == nil { factory.devices = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 2))) }
        return ModelRegistry(
            repository: fixture.repository, store: try RegistryStore(path: fixture.databasePath), factory: factory,
            configuration: configuration)
    }

    /// Runs one request through the registry: the version's name and the tokens, or the error.
    func complete(_ registry: ModelRegistry, _ name: String, prompt: String = "a b c") async -> Result<(String, [Int32]), GenerationError> {
        guard let engine = registry.engine(for: name) else { return .failure(GenerationError(.invalidRequest, "no engine for \(name)")) }
        var tokens: [Int32] = []
        do {
            for try await event in engine.generate(GenerationRequest(id: RequestID("t"), prompt: .text(prompt), maxTokens: 8)) {
                if case .token(let token) = event { tokens.append(token.id) }
            }
        } catch let error as GenerationError {
            return .failure(error)
        } catch {
            return .failure(GenerationError(.internalFailure, "\(error)"))
        }
        return .success((engine.modelName, tokens))
    }

    /// Version 1 loaded, validated and stable.
    func stableRegistry(_ fixture: RepositoryFixture, _ factory: FakeFactory) async throws -> ModelRegistry {
        try fixture.add(version: "1", golden: Self.golden)
        let registry = try self.makeRegistry(fixture, factory)
        try await registry.bootstrap(model: "smollm2", version: "1", actor: "test")
        return registry
    }

    @Test func lifecycleLoadValidateCanaryPromoteRetire() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory(["2": .answer(tokenOffset: 100, interval: .zero)]))
        #expect(try await self.complete(registry, "smollm2").get().0 == "smollm2@1")
        try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)

        try await registry.load(model: "smollm2", version: "2", actor: "test")
        #expect(registry.list().first { $0.version == "2" }?.state == .loaded)
        // Loaded but not validated: only exact requests reach it, and it cannot take weighted traffic.
        #expect(try await self.complete(registry, "smollm2@2").get().0 == "smollm2@2")
        #expect(throws: RegistryError.self) { try registry.canary(model: "smollm2", version: "2", weight: 0.5, actor: "test") }

        let report = try await registry.validate(model: "smollm2", version: "2", actor: "test")
        #expect(report.passed)
        try registry.canary(model: "smollm2", version: "2", weight: 0.5, actor: "test")
        var seen: Set<String> = []
        for _ in 0..<40 { seen.insert(try await self.complete(registry, "smollm2").get().0) }
        #expect(seen == ["smollm2@1", "smollm2@2"])

        try registry.promote(model: "smollm2", version: "2", actor: "test")
        for _ in 0..<10 { #expect(try await self.complete(registry, "smollm2").get().0 == "smollm2@2") }
        #expect(registry.list().first { $0.version == "1" }?.state == .ready)

        let placedBefore = registry.deviceReport()?.placements.count ?? 0
        try await registry.retire(model: "smollm2", version: "1", actor: "test")
        #expect(registry.list().first { $0.version == "1" }?.state == .retired)
        #expect(registry.deviceReport()?.placements.count == placedBefore - 2)
        #expect(registry.engine(for: "smollm2@1") == nil)
        let actions = try registry.audit(model: "smollm2").map { "\($0.action):\($0.outcome)" }
        #expect(actions.suffix(6) == ["load:ok", "canary:refused", "validate:ok", "canary:ok", "promote:ok", "retire:ok"])
    }

    @Test func rollbackReturnsToThePreviousWeights() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory([:]))
        try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)
        try await registry.load(model: "smollm2", version: "2", actor: "test")
        try await registry.validate(model: "smollm2", version: "2", actor: "test")
        try registry.canary(model: "smollm2", version: "2", weight: 0.3, actor: "test")
        try registry.promote(model: "smollm2", version: "2", actor: "test")
        try registry.rollback(model: "smollm2", actor: "test")
        let states = Dictionary(uniqueKeysWithValues: registry.list().map { ($0.version, ($0.state, $0.weight)) })
        #expect(states["1"]?.0 == .stable && states["1"]?.1 == 1)
        #expect(states["2"]?.0 == .ready && states["2"]?.1 == 0)
        #expect(throws: RegistryError.self) { try registry.rollback(model: "smollm2", actor: "test") }
    }

    @Test func divergentGoldenTokensRefusePromotionNamingPromptAndToken() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory(["2": .answer(tokenOffset: 200, interval: .zero)]))
        try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)
        try await registry.load(model: "smollm2", version: "2", actor: "test")
        let report = try await registry.validate(model: "smollm2", version: "2", actor: "test")
        #expect(!report.passed)
        #expect(report.summary.contains("prompt 'abc'"))
        #expect(report.summary.contains("diverged at token 0: expected id 100, got id 200"))
        let error = #expect(throws: RegistryError.self) { try registry.promote(model: "smollm2", version: "2", actor: "test") }
        #expect(error?.code == .validationFailed)
        #expect(error?.message.contains("diverged at token 0") == true)
        #expect(registry.list().first { $0.version == "1" }?.state == .stable)
    }

    @Test func injectedCanaryFaultsRollBackAutomatically() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory([:]))
        try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)
        try await registry.load(model: "smollm2", version: "2", actor: "test")
        try await registry.validate(model: "smollm2", version: "2", actor: "test")
        try registry.canary(model: "smollm2", version: "2", weight: 0.5, actor: "test")
        try registry.injectFaults(model: "smollm2", version: "2", rate: 1, actor: "test")
        for _ in 0..<60 {
            _ = await self.complete(registry, "smollm2")
            if registry.list().first(where: { $0.version == "2" })?.state != .canary { break }
        }
        let states = Dictionary(uniqueKeysWithValues: registry.list().map { ($0.version, ($0.state, $0.weight)) })
        #expect(states["2"]?.0 == .ready && states["2"]?.1 == 0)
        #expect(states["1"]?.0 == .stable && states["1"]?.1 == 1)
        let rollback = try registry.audit(model: "smollm2").last { $0.action == "auto-rollback" }
        #expect(rollback?.actor == "auto-rollback")
        #expect(rollback?.detail.contains("error rate") == true)
    }

    @Test func aFailingReplicaIsRetriedElsewhereAndLeavesRotation() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: nil)
        let factory = FakeFactory(["1#0": .fail])
        let registry = try self.makeRegistry(fixture, factory)
        try await registry.load(model: "smollm2", version: "1", actor: "test")
        for _ in 0..<8 {
            #expect(try await self.complete(registry, "smollm2@1").get().1 == [100, 101, 102])
        }
        let replicas = registry.list()[0].replicas
        #expect(replicas[0].healthy == false)
        #expect(replicas[0].failures == ModelRegistry.Configuration().failureThreshold)
        #expect(replicas[1].served == 8)
    }

    /// The retry on another replica finds none: the replica's 429 (with its Retry-After)
    /// reaches the client, not a 503 saying the version is down, and the replica stays in.
    @Test func aLoneReplicasOverloadIsA429() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: nil, replicas: 1)
        let registry = try self.makeRegistry(fixture, FakeFactory(["1": .overloaded]))
        try await registry.load(model: "smollm2", version: "1", actor: "test")
        for _ in 0..<5 {
            let result = await self.complete(registry, "smollm2@1")
            guard case .failure(let error) = result else {
                Issue.record("an overloaded replica answered: \(result)")
                return
            }
            #expect(error.code == .overloaded && error.retryAfterSeconds == 2, "\(error)")
        }
        #expect(registry.list()[0].replicas.map(\.healthy) == [true])
    }

    @Test func aStalledReplicaLeavesRotationAndItsWaitingRequestRetries() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: nil)
        let registry = try self.makeRegistry(fixture, FakeFactory(["1#0": .stall])) { $0.stallTimeout = .milliseconds(100) }
        try await registry.load(model: "smollm2", version: "1", actor: "test")
        let watchdog = Task { await registry.runHealthChecks(every: .milliseconds(20)) }
        defer { watchdog.cancel() }
        // Least outstanding tokens sends the first request to replica 0, which stalls.
        let result = try await self.complete(registry, "smollm2@1").get()
        #expect(result.1 == [100, 101, 102])
        #expect(registry.list()[0].replicas[0].healthy == false)
    }

    @Test func refusalsLeaveTheStateUnchanged() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory([:]))
        try fixture.add(version: "3", weights: "weights-v3", sha256: String(repeating: "0", count: 64))
        try fixture.add(version: "4", writeWeights: false)
        let before = registry.list()
        let mismatch = await #expect(throws: RegistryError.self) { try await registry.load(model: "smollm2", version: "3", actor: "test") }
        #expect(mismatch?.code == .unusableFiles)
        #expect(mismatch?.message.contains("sha256 mismatch") == true)
        let missing = await #expect(throws: RegistryError.self) { try await registry.load(model: "smollm2", version: "4", actor: "test") }
        #expect(missing?.message.contains("is missing") == true)
        let unknown = await #expect(throws: RegistryError.self) { try await registry.load(model: "smollm2", version: "9", actor: "test") }
        #expect(unknown?.code == .notFound)
        #expect(throws: RegistryError.self) { try registry.promote(model: "nosuch", version: "1", actor: "test") }
        #expect(throws: RegistryError.self) { try registry.canary(model: "smollm2", version: "1", weight: 1.5, actor: "test") }
        #expect(registry.list() == before)
        #expect(try registry.audit().filter { $0.outcome == "refused" }.count == 5)
    }

    /// Every replica is pinned through the factory's one device ledger: a version whose second
    /// replica does not fit is refused with insufficient memory and leaves nothing placed (the
    /// first replica's devices are freed again), one replica fits, retiring it frees the
    /// devices, and a TP group larger than a node is refused.
    @Test func placementGoesThroughTheOneDeviceLedger() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: Self.golden, replicas: 2)
        var factory = FakeFactory([:])
        // Llama-3.1-70B BF16 over TP2 fills both H200s of the fleet: a second replica cannot fit.
        factory.profile = "llama-3.1-70b"
        factory.tensorParallel = 2
        factory.devices = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 2)))
        let registry = try self.makeRegistry(fixture, factory)
        let refused = await #expect(throws: RegistryError.self) { try await registry.load(model: "smollm2", version: "1", actor: "test") }
        #expect(refused?.code == .insufficientMemory)
        #expect(refused?.message.contains("short by") == true)
        #expect(registry.deviceReport()?.placements.isEmpty == true)
        #expect(registry.list().isEmpty)

        _ = try await registry.load(model: "smollm2", version: "1", replicas: 1, actor: "test")
        let report = try #require(registry.deviceReport())
        #expect(report.placements.map(\.replica) == ["smollm2@1#0"])
        #expect(report.devices.allSatisfy { $0.replicas == ["smollm2@1#0"] && $0.weightBytes > 70_000_000_000 })
        try await registry.retire(model: "smollm2", version: "1", actor: "test")
        #expect(registry.deviceReport()?.placements.isEmpty == true)
        #expect(registry.deviceReport()?.devices.allSatisfy { $0.weightBytes == 0 && $0.kvBytes == 0 } == true)

        var wide = FakeFactory([:])
        wide.tensorParallel = 4
        let narrow = try self.makeRegistry(fixture, wide)
        let tooWide = await #expect(throws: RegistryError.self) { try await narrow.load(model: "smollm2", version: "1", actor: "test") }
        #expect(tooWide?.code == .invalidArgument)
        #expect(tooWide?.message.contains("exceeds the 2 devices of a node") == true)
    }

    @Test func aSwapDuringADrainIsAConflictAndTheDrainWaitsForInFlightRequests() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        let registry = try await self.stableRegistry(fixture, FakeFactory(["1": .answer(tokenOffset: 100, interval: .milliseconds(100))]))
        try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)
        try await registry.load(model: "smollm2", version: "2", actor: "test")
        try await registry.validate(model: "smollm2", version: "2", actor: "test")
        // A slow request arrives while version 1 is stable; then version 2 takes over.
        let slow = Task { await self.complete(registry, "smollm2", prompt: "a b c d e") }
        try await Task.sleep(for: .milliseconds(50))
        try registry.promote(model: "smollm2", version: "2", actor: "test")
        let retire = Task { try await registry.retire(model: "smollm2", version: "1", actor: "test") }
        try await Task.sleep(for: .milliseconds(50))
        #expect(registry.list().first { $0.version == "1" }?.state == .draining)
        let conflict = #expect(throws: RegistryError.self) { try registry.rollback(model: "smollm2", actor: "test") }
        #expect(conflict?.code == .conflict)
        let finished = try await slow.value.get()
        #expect(finished.0 == "smollm2@1")
        #expect(finished.1 == [100, 101, 102, 103, 104])
        try await retire.value
        #expect(registry.list().first { $0.version == "1" }?.state == .retired)
    }

    @Test func aRestartRestoresTheDesiredState() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        do {
            let registry = try await self.stableRegistry(fixture, FakeFactory([:]))
            try fixture.add(version: "2", weights: "weights-v2", golden: Self.golden)
            try await registry.load(model: "smollm2", version: "2", replicas: 3, actor: "test")
            try await registry.validate(model: "smollm2", version: "2", actor: "test")
            try registry.canary(model: "smollm2", version: "2", weight: 0.25, actor: "test")
        }
        let restarted = try self.makeRegistry(fixture, FakeFactory([:]))
        let problems = await restarted.restore(actor: "startup")
        #expect(problems.isEmpty)
        let states = Dictionary(uniqueKeysWithValues: restarted.list().map { ($0.version, $0) })
        #expect(states["1"]?.state == .stable && states["1"]?.weight == 0.75)
        #expect(states["2"]?.state == .canary && states["2"]?.weight == 0.25)
        #expect(states["2"]?.replicas.count == 3)
        #expect(try await self.complete(restarted, "smollm2@2").get().0 == "smollm2@2")
    }

    /// The database keeps the desired replica count, not what happened to be running: a
    /// version restored onto devices that hold fewer of its replicas comes back with as many
    /// as fit (not refused), says so in the audit log, and still asks for the rest.
    @Test func aRestartOntoFewerDevicesRestoresWhatFitsAndKeepsTheDesiredCount() async throws {
        let fixture = try RepositoryFixture()
        defer { fixture.remove() }
        try fixture.add(version: "1", golden: Self.golden)
        let store = try RegistryStore(path: fixture.databasePath)
        try store.save(model: "smollm2", versions: [DesiredVersion(model: "smollm2", version: "1", state: .stable, replicas: 2, weight: 1)])
        var factory = FakeFactory([:])
        // Llama-3.1-70B BF16 over TP2 fills both H200s of the fleet: one replica fits.
        factory.profile = "llama-3.1-70b"
        factory.tensorParallel = 2
        let registry = try self.makeRegistry(fixture, factory)
        #expect(await registry.restore(actor: "startup").isEmpty)
        let status = try #require(registry.list().first { $0.version == "1" })
        #expect(status.state == .stable && status.replicas.count == 1 && status.desiredReplicas == 2)
        #expect(try registry.audit().contains { $0.action == "restore" && $0.detail.contains("1 of 2 replicas") })
        #expect(try await self.complete(registry, "smollm2").get().0 == "smollm2@1")
        // What every lifecycle step writes back: the desired count, not the one running.
        registry.persist(model: "smollm2")
        #expect(try store.desiredVersions().map(\.replicas) == [2])
    }
}
