import DeviceSimulation
import Foundation
import GatewayCore
import InferenceEngine
import ModelRuntime
import Testing

@Suite(.serialized) struct PinnedReplicaTests {
    static func smolLM2Profile() throws -> ModelProfile {
        let manifest = try ModelManifest.load(directory: smolLM2Directory)
        return try ModelProfile(gguf: GGUFFile(path: manifest.weightsPath), name: "smollm2", kvFormat: .int8)
    }

    /// SmolLM2-135M-Instruct's published config: 30 layers, hidden 576, 9 heads over 3 KV
    /// heads of 64, FFN 1536, vocabulary 49,152, tied embeddings; the catalog's entry holds
    /// the same numbers and the file's stored size.
    @Test func theGGUFProfileMatchesSmolLM2sConfiguration() throws {
        let derived = try Self.smolLM2Profile()
        #expect(derived.layers == 30)
        #expect(derived.hiddenSize == 576)
        #expect(derived.attentionHeads == 9)
        #expect(derived.kvHeads == 3)
        #expect(derived.headSize == 64)
        #expect(derived.intermediateSize == 1536)
        #expect(derived.vocabularySize == 49152)
        #expect(derived.tiedEmbeddings)
        #expect(derived.experts == 1)
        #expect(derived.weightLabel == "Q4_1")
        let catalog = try ModelCatalog.standard.profile(named: "smollm2", kv: .int8)
        #expect(derived.weightBytes == catalog.weightBytes)
        #expect(derived.totalParameters == catalog.totalParameters)
        #expect(derived.kvBytesPerToken == catalog.kvBytesPerToken)
    }

    @Test func theKVPoolIsTheLedgersShareCappedByTheHostBudget() throws {
        let profile = try Self.smolLM2Profile()
        let fleet = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 2)))
        let manifest = try ModelManifest.load(directory: smolLM2Directory)

        // A whole H200 for a 135M model: the host budget binds.
        var configuration = LlamaReplica.Configuration()
        configuration.threads = 2
        configuration.hostKVBudgetBytes = 8 << 20
        configuration.device = try fleet.pin("smollm2@1", profile: profile)
        let hostBound = try LlamaReplica(manifest: manifest, configuration: configuration)
        // int8 KV: 30 layers × 3 heads × (2 × (64 bytes + a 4-byte scale) + the block's fp16 key
        // anchor, 64 × 2 bytes shared by 16 tokens) per token.
        let cpuBytesPerToken = 30 * 3 * (2 * (64 + 4) + 64 * 2 / 16)
        #expect(hostBound.kvTokens == (8 << 20) / cpuBytesPerToken)
        #expect(try #require(configuration.device).kvTokenShare > hostBound.kvTokens)

        // A small ledger share under a large budget: the ledger binds.
        configuration.hostKVBudgetBytes = 1 << 30
        configuration.device = try fleet.pin("smollm2@2", profile: profile, kvReserveTokens: 600)
        let ledgerBound = try LlamaReplica(manifest: manifest, configuration: configuration)
        #expect(ledgerBound.kvTokens == 600)
        #expect(ledgerBound.statistics.totalBlocks == (600 + 15) / 16)

        let report = fleet.report()
        #expect(report.placements.map(\.replica).sorted() == ["smollm2@1", "smollm2@2"])
        #expect(report.devices.contains { $0.replicas.contains("smollm2@2") && $0.kvBytes == 600 * profile.kvBytesPerToken })
    }

    /// Pinning from a manifest (what the registry's factory does): the ledger reserves the KV
    /// the CPU pool will hold (the host cap), so two versions share one H200 and the report
    /// shows exactly their pools; a TP degree goes through placement (a group on one node,
    /// weights split) and into the cost model; one larger than the node is placement's error.
    @Test func aManifestPinReservesWhatThePoolHoldsAndCarriesTheTPDegree() throws {
        let manifest = try ModelManifest.load(directory: smolLM2Directory)
        var configuration = LlamaReplica.Configuration()
        configuration.hostKVBudgetBytes = 8 << 20
        let cpuTokens = (8 << 20) / (30 * 3 * (2 * (64 + 4) + 64 * 2 / 16))

        let one = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 1)))
        let first = try one.pin("smollm2@1#0", manifest: manifest, configuration: configuration)
        let second = try one.pin("smollm2@2#0", manifest: manifest, configuration: configuration)
        #expect(first.kvTokenShare == cpuTokens && second.kvTokenShare == cpuTokens)
        #expect(first.placement.devices == second.placement.devices)
        let device = try #require(one.report().devices.first)
        #expect(device.replicas.sorted() == ["smollm2@1#0", "smollm2@2#0"])
        #expect(device.kvBytes == 2 * cpuTokens * first.kvBytesPerTokenPerDevice)
        try one.unpin("smollm2@1#0")
        #expect(one.report().devices.first?.replicas == ["smollm2@2#0"])

        var wide = configuration
        wide.tensorParallel = 3
        let node = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8)))
        let group = try node.pin("smollm2@1#0", manifest: manifest, configuration: wide)
        #expect(group.placement.devices.count == 3 && Set(group.placement.devices.map(\.node)) == [0])
        #expect(group.costModel.tensorParallel == 3)
        #expect(group.placement.perDevice.weightBytes == (96_576_768 + 2) / 3)
        let tp3 = group.costModel.cost(of: [.decode(contextTokens: 100)])
        #expect(tp3.allReduceSeconds > 0)

        wide.tensorParallel = 2
        #expect {
            _ = try one.pin("smollm2@3#0", manifest: manifest, configuration: wide)
        } throws: { error in
            "\(error)".contains("tensor-parallel degree 2 exceeds the 1 devices of a node")
        }
    }

    /// A manifest's `tensor_parallel` outside 1...64 is a one-line error naming the file.
    @Test func aManifestTensorParallelDegreeOutOfRangeIsAClearError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for degree in [0, -2, 65] {
            let manifest = """
                {"name": "m", "version": "1", "architecture": "llama", "format": "gguf", "quantization": "Q4_1",
                 "weights": "w.gguf", "sha256": "", "source": {"pypi": "none", "member": "none"}, "license": "x",
                 "chat_template": "chatml", "replicas": 1, "tensor_parallel": \(degree)}
                """
            try Data(manifest.utf8).write(to: directory.appendingPathComponent("manifest.json"))
            #expect {
                _ = try ModelManifest.load(directory: directory.path)
            } throws: { error in
                "\(error)".hasSuffix("manifest.json: field 'tensor_parallel' must be in 1...64, got \(degree)")
            }
        }
    }

    @Test func aRequestRecordsItsDeviceAndEveryIterationsDeviceTime() async throws {
        let profile = try Self.smolLM2Profile()
        let fleet = DeviceFleet(fleet: Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8)))
        var configuration = LlamaReplica.Configuration()
        configuration.threads = 2
        configuration.hostKVBudgetBytes = 16 << 20
        configuration.pacing = .simulated
        configuration.device = try fleet.pin("smollm2@1", profile: profile)
        let replica = try LlamaReplica(manifest: ModelManifest.load(directory: smolLM2Directory), configuration: configuration)
        fleet.attach("smollm2@1") { replica.statistics }

        let result = try await collect(replica.generate(greedyChat("Name a colour.", maxTokens: 4)))
        #expect(result.finish == .length)
        let execution = try #require(result.usage?.execution)
        #expect(execution.deviceModel == "H200 SXM")
        #expect(execution.devices == configuration.device?.placement.devices.map(\.description))
        // One prefill iteration (which samples the first token) and three decodes.
        #expect(execution.iterations.count == 4)
        #expect(execution.iterations.allSatisfy { $0.deviceTime > .zero })
        #expect(execution.iterations.dropFirst().allSatisfy { $0.tokens == 1 })
        let statistics = replica.statistics
        #expect(statistics.deviceTime >= execution.deviceTime)
        // The CPU is far slower than an H200 (about 1.7 ms a step for a 135M model).
        #expect(statistics.laggingSteps > 0)
        #expect(statistics.pacingLag > .zero)

        let json = fleet.reportJSON()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let devices = try #require(object["devices"] as? [[String: Any]])
        #expect(devices.count == 8)
        #expect(devices.contains { ($0["replicas"] as? [String]) == ["smollm2@1"] && $0["kvInUseBytes"] is Int })
    }
}
