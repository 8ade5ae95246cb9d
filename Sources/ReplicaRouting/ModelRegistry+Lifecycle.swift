import Synchronization
import DeviceSimulation
import Foundation
import InferenceEngine

extension ModelRegistry {
    /// Loads a version's replicas from the repository (its weights checked against the
    /// manifest's sha256) and pins them to the devices: beside the other versions where the
    /// devices have room, otherwise replacing their replicas one at a time (each drained,
    /// unloaded, and its place taken by a validated new replica; the last replica of each
    /// keeps serving). The version then serves requests that name it exactly; it takes
    /// weighted traffic only after validation and a canary or promotion.
    @discardableResult
    public func load(model: String, version: String, replicas: Int? = nil, actor: String) async throws(RegistryError) -> VersionStatus {
        try self.begin("load", model: model, actor: actor, version: version) { (state: inout State) throws(RegistryError) in
            if let existing = state.models[model]?.versions[version], existing.state != .retired {
                throw RegistryError(.conflict, "\(model)@\(version) is already \(existing.state.rawValue)")
            }
        }
        do {
            let status = try await self.loadReplicas(model: model, version: version, replicas: replicas, state: .loaded, mode: .replacing)
            self.end(model: model)
            self.persist(model: model)
            self.record(actor: actor, action: "load", model: model, version: version, outcome: "ok", detail: "\(status.replicas.count) replica(s)")
            return status
        } catch {
            self.end(model: model)
            self.record(actor: actor, action: "load", model: model, version: version, outcome: "refused", detail: error.message)
            throw error
        }
    }

    /// Runs the golden prompts and the latency smoke check on every replica of the version.
    /// A pass makes a loaded or refused version `ready`; a failure makes it `refused`,
    /// and promotion or canary then refuse it with the report's summary.
    @discardableResult
    public func validate(model: String, version: String, actor: String) async throws(RegistryError) -> ValidationReport {
        var before: VersionState = .loaded
        try self.begin("validate", model: model, actor: actor, version: version) { (state: inout State) throws(RegistryError) in
            guard let entry = state.models[model]?.versions[version], entry.state.isServing else {
                throw RegistryError(.notFound, "no model version \(model)@\(version) is loaded")
            }
            guard entry.state != .draining else { throw RegistryError(.conflict, "\(model)@\(version) is draining") }
            before = entry.state
            state.models[model]!.versions[version]!.state = .validating
        }
        let (manifest, replicas) = self.state.withLock { state in
            let entry = state.models[model]!.versions[version]!
            return (entry.manifest, entry.replicas.map { (id: $0.id, replica: $0.replica) })
        }
        let report = await VersionValidator(timeToFirstTokenLimit: self.configuration.smokeTimeToFirstTokenLimit)
            .validate(manifest: manifest, replicas: replicas)
        self.state.withLock { state in
            let after: VersionState = report.passed ? (before.isValidated ? before : .ready) : (before == .stable ? .stable : .refused)
            state.models[model]!.versions[version]!.state = after
            state.models[model]!.versions[version]!.validation = report
            if !report.passed && before == .canary {
                // A canary that no longer validates stops taking traffic at once.
                state.models[model]!.versions[version]!.weight = 0
                if let stable = state.models[model]!.versions.first(where: { $0.value.state == .stable })?.key {
                    state.models[model]!.versions[stable]!.weight = 1
                }
            }
        }
        self.end(model: model)
        self.persist(model: model)
        self.record(
            actor: actor, action: "validate", model: model, version: version, outcome: report.passed ? "ok" : "refused",
            detail: report.summary)
        return report
    }

    /// Sends `weight` (strictly between 0 and 1) of the model's traffic to a validated
    /// version, the rest to the stable one.
    public func canary(model: String, version: String, weight: Double, actor: String) throws(RegistryError) {
        try self.change("canary", model: model, version: version, actor: actor, detail: "weight \(weight)") { (state: inout State) throws(RegistryError) in
            guard weight > 0, weight < 1 else {
                throw RegistryError(.invalidArgument, "canary weight must be strictly between 0 and 1, got \(weight)")
            }
            let entry = try Self.validated(state, model: model, version: version)
            guard entry.state != .stable else { throw RegistryError(.conflict, "\(model)@\(version) is already stable") }
            guard let stable = state.models[model]!.versions.first(where: { $0.value.state == .stable })?.key else {
                throw RegistryError(.conflict, "\(model) has no stable version to canary against; promote \(model)@\(version) instead")
            }
            if state.models[model]!.previous == nil { state.models[model]!.previous = state.models[model]!.weighted }
            for key in state.models[model]!.versions.keys where key != version && state.models[model]!.versions[key]!.state == .canary {
                state.models[model]!.versions[key]!.state = .ready
                state.models[model]!.versions[key]!.weight = 0
            }
            state.models[model]!.versions[version]!.state = .canary
            state.models[model]!.versions[version]!.weight = weight
            state.models[model]!.versions[version]!.window.reset()
            state.models[model]!.versions[stable]!.weight = 1 - weight
            state.models[model]!.versions[stable]!.window.reset()
        }
    }

    /// Makes a validated version stable with all the traffic. The previous stable version
    /// stays loaded as a `ready` standby (rollback returns to it) until it is retired.
    public func promote(model: String, version: String, actor: String) throws(RegistryError) {
        try self.change("promote", model: model, version: version, actor: actor, detail: "weight 1") { (state: inout State) throws(RegistryError) in
            let entry = try Self.validated(state, model: model, version: version)
            guard entry.state != .stable else { throw RegistryError(.conflict, "\(model)@\(version) is already stable") }
            // A rollout opens at its first canary or promotion over a stable version and
            // stays open (rollback possible) until rollback, or until the version it would
            // return to is retired.
            let hasStable = state.models[model]!.versions.values.contains { $0.state == .stable }
            if state.models[model]!.previous == nil && hasStable { state.models[model]!.previous = state.models[model]!.weighted }
            for key in state.models[model]!.versions.keys {
                let other = state.models[model]!.versions[key]!.state
                if other == .stable || other == .canary {
                    state.models[model]!.versions[key]!.state = .ready
                    state.models[model]!.versions[key]!.weight = 0
                }
            }
            state.models[model]!.versions[version]!.state = .stable
            state.models[model]!.versions[version]!.weight = 1
            state.models[model]!.versions[version]!.window.reset()
        }
    }

    /// Returns the model's states and weights to those before its last canary or
    /// promotion (versions since retired stay retired).
    public func rollback(model: String, actor: String) throws(RegistryError) {
        try self.change("rollback", model: model, version: "", actor: actor, detail: "") { (state: inout State) throws(RegistryError) in
            try Self.restorePrevious(&state, model: model)
        }
    }

    /// Stops routing to a version, waits for its in-flight and queued requests to finish on
    /// it (up to `timeout`), then unloads its replicas and frees their device memory, which
    /// then loads the replicas other versions lack (`refill`).
    public func retire(model: String, version: String, actor: String, timeout: Duration = .seconds(300)) async throws(RegistryError) {
        try self.begin("retire", model: model, actor: actor, version: version) { (state: inout State) throws(RegistryError) in
            guard let entry = state.models[model]?.versions[version], entry.state != .retired else {
                throw RegistryError(.notFound, "no model version \(model)@\(version) is loaded")
            }
            guard entry.weight == 0, entry.state != .stable else {
                throw RegistryError(.conflict, "\(model)@\(version) takes traffic (\(entry.state.rawValue), weight \(entry.weight)); promote or roll back first")
            }
            state.models[model]!.versions[version]!.state = .draining
        }
        self.persist(model: model)
        let deadline = ContinuousClock.now + timeout
        while self.state.withLock({ $0.models[model]!.versions[version]!.holds > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let (slots, left) = self.state.withLock { state in
            let entry = state.models[model]!.versions[version]!
            state.models[model]!.versions[version]!.replicas = []
            state.models[model]!.versions[version]!.state = .retired
            if state.models[model]!.previous?[version]?.state == .stable {
                state.models[model]!.previous = nil
            } else {
                state.models[model]!.previous?.removeValue(forKey: version)
            }
            return (entry.replicas, entry.holds)
        }
        let blocksInUse = slots.reduce(0) { $0 + $1.replica.load.usedBlocks }
        self.unplace(slots.map(\.id))
        // The memory just freed goes to versions a replacement left short.
        await self.refill(model: model, actor: actor)
        self.end(model: model)
        self.persist(model: model)
        self.record(
            actor: actor, action: "retire", model: model, version: version, outcome: left == 0 ? "ok" : "forced",
            detail: "\(slots.count) replica(s) unloaded; \(left) request(s) still in flight; \(blocksInUse) KV block(s) in use at unload")
    }

    /// Loads what the database asks for, with the states, weights and desired replica counts
    /// it records. Versions that were loading, validating or draining come back as loaded or
    /// not at all; a version whose replicas no longer all fit comes back with as many as do,
    /// and the rest load when memory frees.
    public func restore(actor: String) async -> [String] {
        var problems: [String] = []
        let desired: [DesiredVersion]
        do {
            desired = try self.store.desiredVersions()
        } catch {
            return [error.message]
        }
        for version in desired where version.state != .draining && version.state != .retired {
            let target: VersionState =
                switch version.state {
                case .loading, .validating: .loaded
                default: version.state
                }
            do {
                let status = try await self.loadReplicas(
                    model: version.model, version: version.version, replicas: version.replicas, state: target, mode: .asManyAsFit)
                self.state.withLock { $0.models[version.model]!.versions[version.version]!.weight = version.weight }
                let short =
                    status.replicas.count < version.replicas
                    ? ", \(status.replicas.count) of \(version.replicas) replicas (the rest load when memory frees)" : ""
                self.record(
                    actor: actor, action: "restore", model: version.model, version: version.version, outcome: "ok",
                    detail: "\(target.rawValue), weight \(version.weight)\(short)")
            } catch {
                problems.append("\(version.model)@\(version.version): \(error.message)")
                self.record(actor: actor, action: "restore", model: version.model, version: version.version, outcome: "failed", detail: error.message)
            }
        }
        return problems
    }

    /// Serves a version when the model has none yet: load, validate, promote.
    public func bootstrap(model: String, version: String, actor: String) async throws(RegistryError) {
        let known = self.state.withLock { $0.models[model]?.versions.values.contains { $0.state != .retired } ?? false }
        guard !known else { return }
        try await self.load(model: model, version: version, actor: actor)
        let report = try await self.validate(model: model, version: version, actor: actor)
        guard report.passed else { throw RegistryError(.validationFailed, "\(model)@\(version) failed validation: \(report.summary)") }
        try self.promote(model: model, version: version, actor: actor)
    }

    func rollbackAutomatically(model: String, canary: String, reason: String) {
        do {
            try self.change("auto-rollback", model: model, version: canary, actor: "auto-rollback", detail: reason) { (state: inout State) throws(RegistryError) in
                guard state.models[model]?.versions[canary]?.state == .canary else {
                    throw RegistryError(.conflict, "\(model)@\(canary) is no longer a canary")
                }
                if state.models[model]!.previous != nil {
                    try Self.restorePrevious(&state, model: model)
                }
                if state.models[model]!.versions[canary]!.state == .canary {
                    state.models[model]!.versions[canary]!.state = .ready
                    state.models[model]!.versions[canary]!.weight = 0
                }
            }
        } catch {
            // Another operation got there first (a rollback, a promotion): nothing to undo.
        }
    }
}

extension ModelRegistry {
    /// Marks the model busy with `operation` after `check` passes under the lock; a model
    /// already busy is a 409. Refusals are audited.
    func begin(
        _ operation: String, model: String, actor: String, version: String, check: (inout State) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        let outcome: Result<Void, RegistryError> = self.state.withLock { state in
            if let running = state.models[model]?.operation {
                return .failure(RegistryError(.conflict, "\(model) is busy with \(running); try again when it ends"))
            }
            do throws(RegistryError) {
                try check(&state)
            } catch {
                return .failure(error)
            }
            state.models[model, default: ModelEntry()].operation = operation
            return .success(())
        }
        if case .failure(let error) = outcome {
            self.record(actor: actor, action: operation, model: model, version: version, outcome: "refused", detail: error.message)
            throw error
        }
    }

    func end(model: String) {
        self.state.withLock { state in
            state.models[model]?.operation = nil
            if state.models[model]?.versions.isEmpty == true { state.models[model] = nil }
        }
    }

    /// A quick state change under the lock: checked, applied, persisted, audited. A model
    /// busy with a long operation (load, validate, retire) refuses it with 409.
    func change(
        _ operation: String, model: String, version: String, actor: String, detail: String,
        _ apply: (inout State) throws(RegistryError) -> Void
    ) throws(RegistryError) {
        let outcome: Result<Void, RegistryError> = self.state.withLock { state in
            guard state.models[model] != nil else { return .failure(RegistryError(.notFound, "no model \(model) is loaded")) }
            if let running = state.models[model]!.operation {
                return .failure(RegistryError(.conflict, "\(model) is busy with \(running); try again when it ends"))
            }
            // Applied to a copy: a refusal leaves the state exactly as it was.
            var copy = state
            do throws(RegistryError) {
                try apply(&copy)
            } catch {
                return .failure(error)
            }
            state = copy
            return .success(())
        }
        switch outcome {
        case .success:
            self.persist(model: model)
            self.record(actor: actor, action: operation, model: model, version: version, outcome: "ok", detail: detail)
        case .failure(let error):
            self.record(actor: actor, action: operation, model: model, version: version, outcome: "refused", detail: error.message)
            throw error
        }
    }

    static func validated(_ state: State, model: String, version: String) throws(RegistryError) -> VersionEntry {
        guard let entry = state.models[model]?.versions[version], entry.state != .retired else {
            throw RegistryError(.notFound, "no model version \(model)@\(version) is loaded")
        }
        guard entry.state.isValidated else {
            let reason = entry.validation.map { "failed validation: \($0.summary)" } ?? "is \(entry.state.rawValue), not validated"
            throw RegistryError(.validationFailed, "\(model)@\(version) \(reason)")
        }
        return entry
    }

    static func restorePrevious(_ state: inout State, model: String) throws(RegistryError) {
        guard let previous = state.models[model]!.previous else {
            throw RegistryError(.conflict, "\(model) has no canary or promotion to roll back")
        }
        for (key, before) in previous {
            guard let entry = state.models[model]!.versions[key], entry.state != .retired, entry.state != .draining else { continue }
            state.models[model]!.versions[key]!.state = before.state == .validating ? .ready : before.state
            state.models[model]!.versions[key]!.weight = before.weight
        }
        for key in state.models[model]!.versions.keys where previous[key] == nil {
            if state.models[model]!.versions[key]!.weight > 0 {
                state.models[model]!.versions[key]!.state = .ready
                state.models[model]!.versions[key]!.weight = 0
            }
        }
        state.models[model]!.previous = nil
    }

    /// Makes the version's replicas one at a time (the factory pins each to the devices) and
    /// enters it in `state`. Where the devices are full, `.replacing` makes room by
    /// replacing another version's replicas one at a time (`replaceOne`), each new replica
    /// validated before the next; the version may then come up short of its count while the
    /// last of the others keeps serving, and its missing replicas load once memory frees
    /// (`refill`). On any failure nothing new stays placed or entered and the replaced
    /// replicas load again.
    func loadReplicas(
        model: String, version: String, replicas: Int?, state target: VersionState, mode: LoadMode = .allOrNone
    ) async throws(RegistryError) -> VersionStatus {
        let manifest = try self.repository.manifest(model: model, version: version)
        let count = replicas ?? manifest.replicas
        guard (1...64).contains(count) else { throw RegistryError(.invalidArgument, "replica count must be 1...64, got \(count)") }
        self.state.withLock { state in
            state.models[model, default: ModelEntry()].versions[version] = VersionEntry(
                manifest: manifest, state: .loading, desiredReplicas: count)
        }
        var replaced: [String] = []
        do throws(RegistryError) {
            slots: for index in 0..<count {
                let id = "\(model)@\(version)#\(index)"
                var made = try self.makeSlot(id, index: index, manifest: manifest, model: model)
                while case .failure(let shortage) = made {
                    if mode == .asManyAsFit && index > 0 { break slots }
                    guard mode == .replacing, let victim = await self.replaceOne(model: model, for: id) else {
                        if mode == .replacing && index > 0 && !replaced.isEmpty { break slots }
                        throw RegistryError(
                            .insufficientMemory,
                            shortage.message
                                + (mode == .replacing ? "; no other version of \(model) has a replica to spare (its last one keeps serving)" : ""))
                    }
                    replaced.append(victim)
                    made = try self.makeSlot(id, index: index, manifest: manifest, model: model)
                    if case .success(let slot) = made { try await self.validateReplacement(slot, manifest: manifest) }
                }
                guard case .success(let slot) = made else { break }
                self.state.withLock { $0.models[model]!.versions[version]!.replicas.append(slot) }
            }
        } catch {
            let slots = self.state.withLock { state in
                let slots = state.models[model]?.versions[version]?.replicas ?? []
                state.models[model]?.versions[version] = nil
                return slots
            }
            self.unplace(slots.map(\.id))
            if !replaced.isEmpty { await self.refill(model: model, actor: "load") }
            throw error
        }
        if !replaced.isEmpty {
            self.record(
                actor: "load", action: "replace", model: model, version: version, outcome: "ok",
                detail: "replaced \(replaced.joined(separator: ", ")) one at a time")
        }
        return self.state.withLock { state in
            state.models[model]!.versions[version]!.state = target
            return state.models[model]!.versions[version]!.status(model: model, version: version)
        }
    }

    /// Pins and makes one replica (the factory pins it to the devices); a failure (not a
    /// throw) when the devices have no room for it now, which a replacement may make.
    func makeSlot(_ id: String, index: Int, manifest: ModelManifest, model: String) throws(RegistryError) -> Result<ReplicaSlot, RegistryError> {
        do {
            return .success(ReplicaSlot(id: id, replica: try self.factory.makeReplica(manifest: manifest, index: index, id: id)))
        } catch let placement as DeviceSimulationError {
            self.unplace([id])
            let refusal = "cannot place \(id): \(placement)"
            if placement.code == .insufficientMemory { return .failure(RegistryError(.insufficientMemory, refusal)) }
            // Placement refuses with its own code: a model no device could hold is a memory
            // problem, a bad tensor-parallel degree a bad argument.
            throw RegistryError(placement.code == .modelLargerThanDevice ? .insufficientMemory : .invalidArgument, refusal)
        } catch {
            self.unplace([id])
            throw RegistryError(.unusableFiles, "cannot load \(manifest.name)@\(manifest.version): \(error)")
        }
    }

    /// Gives back what the factory took for each replica outside it (its devices' memory).
    func unplace(_ ids: [String]) {
        for id in ids { self.factory.releaseReplica(id: id) }
    }

    func persist(model: String) {
        let versions = self.state.withLock { state in
            (state.models[model]?.versions ?? [:]).map { key, entry in
                DesiredVersion(model: model, version: key, state: entry.state, replicas: max(entry.desiredReplicas, 1), weight: entry.weight)
            }
        }
        // A failed write leaves the previous desired state; the audit record that follows
        // still says what happened in memory.
        try? self.store.save(model: model, versions: versions)
    }

    func record(actor: String, action: String, model: String, version: String, outcome: String, detail: String) {
        // The lifecycle step has happened whether or not its record is written.
        try? self.store.append(
            AuditRecord(at: Date().timeIntervalSince1970, actor: actor, action: action, model: model, version: version, outcome: outcome, detail: detail))
    }
}
