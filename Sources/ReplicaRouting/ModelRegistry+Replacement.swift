import Foundation
import InferenceEngine
import Synchronization

extension ModelRegistry {
    /// What `loadReplicas` does when the devices are full.
    enum LoadMode: Sendable, Equatable {
        /// Refuses the whole version (507).
        case allOrNone
        /// Replaces other versions' replicas one at a time.
        case replacing
        /// Loads replicas until the devices are full (at least one); the rest load when
        /// memory frees (`refill`). A restart restores the desired count this way.
        case asManyAsFit
    }

    /// Makes room for `newID` by replacing one replica of another version of `model`: the
    /// one chosen takes no new request, its in-flight and queued requests finish on it, then
    /// it unloads and frees its device memory. Only a version with two or more replicas in
    /// service gives one up, so each keeps serving; nil when none can.
    func replaceOne(model: String, for newID: String, timeout: Duration = .seconds(300)) async -> String? {
        let chosen: (version: String, id: String)? = self.state.withLock { state in
            guard let entries = state.models[model] else { return nil }
            let donors = entries.versions.filter { key, entry in
                newID.hasPrefix("\(model)@\(key)#") == false && entry.state != .retired && entry.state != .draining
                    && entry.replicas.filter { !$0.draining }.count >= 2
            }
            // The version with the most replicas gives first; between equals, the one with
            // less traffic.
            guard let donor = donors.max(by: { a, b in
                let (ca, cb) = (a.value.replicas.count, b.value.replicas.count)
                return ca != cb ? ca < cb : (a.value.weight, a.key) > (b.value.weight, b.key)
            }),
                let index = donor.value.replicas.lastIndex(where: { !$0.draining })
            else { return nil }
            state.models[model]!.versions[donor.key]!.replicas[index].draining = true
            return (donor.key, donor.value.replicas[index].id)
        }
        guard let chosen else { return nil }
        let deadline = ContinuousClock.now + timeout
        func inFlight() -> Int {
            self.state.withLock { state in
                state.models[model]?.versions[chosen.version]?.replicas.first { $0.id == chosen.id }?.inFlight ?? 0
            }
        }
        while inFlight() > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = inFlight()
        let slot = self.state.withLock { state -> ReplicaSlot? in
            guard let index = state.models[model]?.versions[chosen.version]?.replicas.firstIndex(where: { $0.id == chosen.id }) else {
                return nil
            }
            return state.models[model]!.versions[chosen.version]!.replicas.remove(at: index)
        }
        let blocksInUse = slot?.replica.load.usedBlocks ?? 0
        self.unplace([chosen.id])
        self.persist(model: model)
        self.record(
            actor: "load", action: "replace-replica", model: model, version: chosen.version, outcome: left == 0 ? "ok" : "forced",
            detail: "\(chosen.id) drained and unloaded for \(newID); \(left) request(s) still in flight; \(blocksInUse) KV block(s) in use at unload")
        return chosen.id
    }

    /// Runs the golden prompts on a replica that replaced another before the next one goes;
    /// one that fails is unpinned.
    func validateReplacement(_ slot: ReplicaSlot, manifest: ModelManifest) async throws(RegistryError) {
        let report = await VersionValidator(timeToFirstTokenLimit: self.configuration.smokeTimeToFirstTokenLimit)
            .validate(manifest: manifest, replicas: [(id: slot.id, replica: slot.replica)])
        guard report.passed else {
            self.unplace([slot.id])
            throw RegistryError(.validationFailed, "\(slot.id) failed validation while replacing: \(report.summary)")
        }
    }

    /// Loads the replicas versions of `model` lack (a replacement left them short) as far as
    /// the devices now allow, taking versions with traffic first; each is validated before it
    /// joins its version. Called when memory frees: after a retire or a failed replacement.
    func refill(model: String, actor: String) async {
        let short: [(version: String, manifest: ModelManifest, missing: [Int])] = self.state.withLock { state in
            guard let entries = state.models[model] else { return [] }
            return entries.versions
                .filter { $0.value.state != .retired && $0.value.state != .draining && $0.value.state != .loading }
                .sorted { ($0.value.weight, $0.key) > ($1.value.weight, $1.key) }
                .compactMap { key, entry in
                    let taken = Set(entry.replicas.map(\.id))
                    let free = (0..<64).filter { !taken.contains("\(model)@\(key)#\($0)") }
                    let missing = Array(free.prefix(max(0, entry.desiredReplicas - entry.replicas.count)))
                    return missing.isEmpty ? nil : (key, entry.manifest, missing)
                }
        }
        for (version, manifest, missing) in short {
            var added: [String] = []
            var problem: String?
            for index in missing {
                let id = "\(model)@\(version)#\(index)"
                do throws(RegistryError) {
                    guard case .success(let slot) = try self.makeSlot(id, index: index, manifest: manifest, model: model) else { break }
                    try await self.validateReplacement(slot, manifest: manifest)
                    let kept = self.state.withLock { state -> Bool in
                        guard let entry = state.models[model]?.versions[version], entry.state != .retired, entry.state != .draining else {
                            return false
                        }
                        state.models[model]!.versions[version]!.replicas.append(slot)
                        return true
                    }
                    guard kept else {
                        self.unplace([id])
                        break
                    }
                    added.append(id)
                } catch {
                    problem = error.message
                    break
                }
            }
            guard !added.isEmpty || problem != nil else { continue }
            self.persist(model: model)
            self.record(
                actor: actor, action: "refill", model: model, version: version, outcome: problem == nil ? "ok" : "failed",
                detail: (added.isEmpty ? "no replica loaded" : "loaded \(added.joined(separator: ", "))") + (problem.map { "; \($0)" } ?? ""))
        }
    }
}
