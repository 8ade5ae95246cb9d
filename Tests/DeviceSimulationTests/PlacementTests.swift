import DeviceSimulation
import Testing

@Suite struct PlacementTests {
    func request(_ name: String, _ model: String, weights: WeightFormat = .bf16, tp: Int) throws -> ReplicaRequest {
        ReplicaRequest(name: name, profile: try ModelCatalog.standard.profile(named: model, weights: weights), tensorParallel: tp)
    }

    @Test func tensorParallelGroupsStayInsideOneNode() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 2, devicesPerNode: 8))
        // 405B FP8 at TP4: ~113 GB per device, one shard per H200.
        for index in 0..<4 {
            let placement = try fleet.place(try self.request("r\(index)", "llama-3.1-405b", weights: .fp8, tp: 4))
            #expect(placement.devices.count == 4)
            #expect(Set(placement.devices.map(\.node)).count == 1)
        }
        #expect(Set(fleet.placements.flatMap(\.devices)).count == 16)
        // Every device now holds one shard; a TP8 group of ~57 GB per device finds no room.
        let error = #expect(throws: DeviceSimulationError.self) { try fleet.place(try self.request("r4", "llama-3.1-405b", weights: .fp8, tp: 8)) }
        #expect(error?.code == .insufficientMemory)
        #expect(error?.message.contains("short by") == true)
    }

    @Test func aTPGroupNeverSpansNodesEvenWhenTheFleetHasRoom() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 2, devicesPerNode: 8))
        // Sixteen 70B FP8 TP1 replicas (~97 GB each) take every device; unload three per node.
        for index in 0..<16 { try fleet.place(try self.request("r\(index)", "llama-3.1-70b", weights: .fp8, tp: 1)) }
        #expect(Set(fleet.placements.flatMap(\.devices)).count == 16)
        for placement in fleet.placements where placement.devices[0].index < 3 { try fleet.unload(replica: placement.replica) }
        #expect(fleet.ledgers.filter { $0.committedBytes == 0 }.count == 6)
        // Six empty devices, three per node: a TP4 group of ~113 GB shards must not be split.
        let error = #expect(throws: DeviceSimulationError.self) { try fleet.place(try self.request("big", "llama-3.1-405b", weights: .fp8, tp: 4)) }
        #expect(error?.code == .insufficientMemory)
        #expect(error?.message.contains("has 3 such devices") == true)
        // A TP2 group fits inside one node.
        let pair = try fleet.place(try self.request("pair", "llama-3.1-70b", tp: 2))
        #expect(Set(pair.devices.map(\.node)).count == 1)
    }

    @Test func bestFitSharesADeviceBeforeOpeningANewOne() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8))
        let first = try fleet.place(try self.request("a", "llama-3.1-8b", tp: 1))
        let second = try fleet.place(try self.request("b", "llama-3.1-8b", tp: 1))
        #expect(first.devices == second.devices)
        let ledger = try #require(fleet.ledger(for: first.devices[0]))
        #expect(ledger.replicas == ["a", "b"])
        #expect(ledger.committedBytes == 2 * first.perDevice.totalBytes)
    }

    @Test func aModelLargerThanTheDeviceIsAClearError() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8))
        let error = #expect(throws: DeviceSimulationError.self) { try fleet.place(try self.request("huge", "llama-3.1-405b", tp: 1)) }
        #expect(error?.code == .modelLargerThanDevice)
        #expect(error?.message.contains("short by") == true)
        #expect(error?.message.contains("tp8 would fit") == true)
        #expect(fleet.placements.isEmpty)
        #expect(fleet.ledgers.allSatisfy { $0.committedBytes == 0 })
        // On H100s, 405B BF16 fits no TP degree of a node: no hint.
        var h100 = Fleet(device: .h100SXM, shape: FleetShape(nodes: 1, devicesPerNode: 8))
        let tooBig = #expect(throws: DeviceSimulationError.self) { try h100.place(try self.request("huge", "llama-3.1-405b", tp: 8)) }
        #expect(tooBig?.code == .modelLargerThanDevice)
        #expect(tooBig?.message.contains("would fit") == false)
        // At TP8 on H200s it fits.
        #expect(try fleet.place(try self.request("huge", "llama-3.1-405b", tp: 8)).devices.count == 8)
    }

    @Test func aTPDegreeLargerThanANodeIsAClearError() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 4, devicesPerNode: 8))
        let error = #expect(throws: DeviceSimulationError.self) { try fleet.place(try self.request("wide", "llama-3.1-405b", tp: 16)) }
        #expect(error?.code == .tensorParallelTooLarge)
        #expect(error?.message.contains("exceeds the 8 devices of a node") == true)
        let uneven = #expect(throws: DeviceSimulationError.self) { try fleet.place(try self.request("odd", "llama-3.1-8b", tp: 3)) }
        #expect(uneven?.code == .tensorParallelIndivisible)
    }

    @Test func absurdReservesAreRefusedNotTrappedOn() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8))
        let profile = try ModelCatalog.standard.profile(named: "llama-3.1-8b")
        let hostile = ReplicaRequest(name: "x", profile: profile, tensorParallel: 1, kvReserveTokens: Int.max, maxBatchTokens: Int.max)
        var wide = hostile
        wide.name = "w"
        wide.tensorParallel = Int.max
        let results = fleet.place(all: [hostile, wide])
        #expect((try? results[1].get()) == nil)
        #expect((try? results[0].get()) == nil)
        let negative = ReplicaRequest(name: "y", profile: profile, tensorParallel: 1, kvReserveTokens: -1)
        #expect(throws: DeviceSimulationError.self) { try fleet.place(negative) }
        #expect(fleet.ledgers.allSatisfy { $0.committedBytes == 0 })
    }

    @Test func anUnknownProfileIsAClearError() {
        let error = #expect(throws: DeviceSimulationError.self) { try ModelCatalog.standard.profile(named: "llama-9000b") }
        #expect(error?.code == .unknownProfile)
        #expect(error?.message.contains("llama-3.1-70b") == true)
        #expect(throws: DeviceSimulationError.self) { try ModelCatalog.standard.profile(named: "smollm2", weights: .fp8) }
        #expect(throws: DeviceSimulationError.self) { try DeviceSpec.named("a100") }
    }

    @Test func unloadFreesEveryDeviceOfTheGroup() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 8))
        let placement = try fleet.place(try self.request("g", "llama-3.1-70b", weights: .fp8, tp: 2))
        try fleet.recordKVInUse(replica: "g", bytesPerDevice: 1_000_000_000)
        #expect(placement.devices.allSatisfy { (fleet.ledger(for: $0)?.utilization ?? 0) > 0 })
        try fleet.unload(replica: "g")
        #expect(fleet.ledgers.allSatisfy { $0.committedBytes == 0 && $0.utilization == 0 })
        #expect(throws: DeviceSimulationError.self) { try fleet.unload(replica: "g") }
    }

    @Test func placeAllPacksLargestFirstAndAnswersInOrder() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 1, devicesPerNode: 2))
        let results = fleet.place(all: [
            try self.request("small", "llama-3.1-8b", tp: 1),
            try self.request("large", "llama-3.1-70b", weights: .fp8, tp: 2),
            try self.request("none", "llama-3.1-405b", tp: 8),
        ])
        #expect(results.count == 3)
        #expect((try? results[0].get().replica) == "small")
        #expect((try? results[1].get().devices.count) == 2)
        #expect((try? results[2].get()) == nil)
    }

    @Test func specificationsParseOrExplain() throws {
        let spec = try ReplicaSpecification(parsing: "llama-3.1-70b:fp8:kv-int8:tp2")
        #expect(spec == ReplicaSpecification(model: "llama-3.1-70b", weights: .fp8, kv: .int8, tensorParallel: 2))
        #expect(try ReplicaSpecification(parsing: "smollm2:tp1") == ReplicaSpecification(model: "smollm2"))
        for bad in ["", ":tp1", "x:tp0", "x:tpq", "x:fp4", "x:kv-bf16"] {
            #expect(throws: DeviceSimulationError.self) { try ReplicaSpecification(parsing: bad) }
        }
        #expect(try FleetShape(parsing: "4x8") == FleetShape(nodes: 4, devicesPerNode: 8))
        for bad in ["", "8", "0x8", "1x", "x8", "1x8x2", "-1x8"] {
            #expect(throws: DeviceSimulationError.self) { try FleetShape(parsing: bad) }
        }
    }

    /// A long, deterministic mix of placements and unloads never over-commits a device, never
    /// splits a group across nodes, and leaves the fleet empty once everything is unloaded.
    @Test func manyPlacementsAndUnloadsKeepTheLedgersHonest() throws {
        var fleet = Fleet(shape: FleetShape(nodes: 2, devicesPerNode: 8))
        let kinds: [(String, WeightFormat, Int)] = [
            ("llama-3.1-8b", .bf16, 1), ("llama-3.1-70b", .fp8, 2), ("mixtral-8x7b", .bf16, 2),
            ("llama-3.1-70b", .bf16, 4), ("llama-3.1-405b", .fp8, 8), ("smollm2", .bf16, 1),
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var placed: [String] = []
        for step in 0..<300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let pick = Int(state >> 33)
            if pick % 3 == 0, !placed.isEmpty {
                try fleet.unload(replica: placed.remove(at: pick % placed.count))
            } else {
                let (model, weights, tp) = kinds[pick % kinds.count]
                let profile = try ModelCatalog.standard.profile(named: model, weights: model == "smollm2" ? nil : weights)
                if let placement = try? fleet.place(ReplicaRequest(name: "r\(step)", profile: profile, tensorParallel: tp)) {
                    #expect(Set(placement.devices.map(\.node)).count == 1)
                    placed.append(placement.replica)
                }
            }
            #expect(fleet.ledgers.allSatisfy { $0.committedBytes <= $0.usableBytes && $0.freeBytes >= 0 })
        }
        #expect(!placed.isEmpty)
        let report = fleet.report()
        #expect(report.devices.count == 16)
        #expect(Set(report.placements.map(\.replica)) == Set(placed))
        for replica in placed { try fleet.unload(replica: replica) }
        #expect(fleet.ledgers.allSatisfy { $0.allocations.isEmpty && $0.committedBytes == 0 })
    }
}
