import Synchronization
import BatchScheduling
import GatewayCore
import InferenceEngine

/// A replica chosen for one attempt of one request.
struct ReplicaLease: Sendable {
    var model: String
    var version: String
    var slotID: String
    var replica: any RoutableReplica
    var tokens: Int
    /// Fault injection decided that this attempt fails.
    var injectFault: Bool
    /// The routing decision, for the request's trace.
    var decision: RoutingDecision
}

/// How one attempt on a replica ended.
enum AttemptOutcome: Sendable {
    case succeeded(timeToFirstToken: Duration?)
    /// The replica failed the request (counts against its health and the version's error rate).
    case failed
    /// The client went away, or the request itself was refused: no one's fault.
    case abandoned
}

extension ModelRegistry {
    /// The engine serving a request for `name` (`smollm2` or `smollm2@2`): for a model name,
    /// a version drawn by the traffic weights in force now; nil for an unknown model or a
    /// version that is not serving. The engine holds its version until it is released: a
    /// version drains only once every engine resolved to it is gone.
    public func engine(for name: String) -> (any TextGenerationEngine)? {
        guard let reference = ModelReference(parsing: name) else { return nil }
        let picked: (String, any RoutableReplica)? = self.state.withLock { state in
            guard let model = state.models[reference.model] else { return nil }
            let version: String
            if let exact = reference.version {
                guard let entry = model.versions[exact], entry.state.isServing, entry.state != .draining else { return nil }
                version = exact
            } else {
                let weighted = model.versions.filter { ($0.value.state == .stable || $0.value.state == .canary) && $0.value.weight > 0 }
                let total = weighted.values.reduce(0) { $0 + $1.weight }
                guard total > 0 else { return nil }
                var draw = Double.random(in: 0..<total)
                var chosen = weighted.keys.sorted().last!
                for key in weighted.keys.sorted() {
                    draw -= weighted[key]!.weight
                    if draw < 0 {
                        chosen = key
                        break
                    }
                }
                version = chosen
            }
            guard let first = model.versions[version]?.replicas.first?.replica else { return nil }
            state.models[reference.model]!.versions[version]!.holds += 1
            return (version, first)
        }
        guard let (version, reference_replica) = picked else { return nil }
        return RoutedVersionEngine(registry: self, model: reference.model, version: version, template: reference_replica)
    }

    /// Drops one hold on a version (a resolved engine went away).
    func release(model: String, version: String) {
        self.state.withLock { state in
            state.models[model]?.versions[version]?.holds -= 1
        }
    }

    /// A replica of the version for one attempt, by the model's policy, skipping `excluded`
    /// slots and replicas out of rotation; nil when none is left.
    func acquire(
        model: String, version: String, blocks: [BlockHash], tokens: Int, excluding excluded: Set<String>
    ) -> ReplicaLease? {
        let policy = self.configuration.policy(for: model)
        let started = ContinuousClock.now
        return self.state.withLock { state -> ReplicaLease? in
            guard let entry = state.models[model]?.versions[version], entry.state.isServing else { return nil }
            var candidates: [RoutingCandidate] = []
            for (index, slot) in entry.replicas.enumerated() where !excluded.contains(slot.id) && slot.takesRequests(at: started) {
                candidates.append(
                    RoutingCandidate(
                        index: index, outstandingTokens: slot.outstandingTokens, inFlight: slot.inFlight,
                        load: policy == .powerOfTwoChoices ? slot.replica.load : ReplicaLoad(),
                        prefixMatch: blocks.isEmpty ? 0 : slot.replica.prefixCache.match(blocks)))
            }
            var generator = SystemRandomNumberGenerator()
            guard let choice = policy.decide(candidates, requestTokens: tokens, using: &generator) else { return nil }
            let index = choice.index
            var slot = entry.replicas[index]
            slot.outstandingTokens += tokens
            slot.inFlight += 1
            var injectFault = false
            if slot.faultRate > 0 {
                slot.faultCredit += slot.faultRate
                if slot.faultCredit >= 1 {
                    slot.faultCredit -= 1
                    injectFault = true
                }
            }
            state.models[model]!.versions[version]!.replicas[index] = slot
            state.models[model]!.versions[version]!.holds += 1
            let decision = RoutingDecision(
                start: started, end: .now, candidates: candidates.map { entry.replicas[$0.index].id }, choice: slot.id,
                reason: excluded.isEmpty ? choice.reason : "retry away from \(excluded.sorted().joined(separator: ", ")); \(choice.reason)",
                policy: policy.description)
            return ReplicaLease(
                model: model, version: version, slotID: slot.id, replica: slot.replica, tokens: tokens, injectFault: injectFault,
                decision: decision)
        }
    }

    /// Ends an attempt: the replica's counters and health, the version's outcome window, and
    /// (for a canary) the automatic rollback check.
    func finish(_ lease: ReplicaLease, outcome: AttemptOutcome) {
        let now = ContinuousClock.now
        let configuration = self.configuration
        let rollbackReason: String? = self.state.withLock { state in
            guard var entry = state.models[lease.model]?.versions[lease.version] else { return nil }
            entry.holds -= 1
            if let index = entry.replicas.firstIndex(where: { $0.id == lease.slotID }) {
                var slot = entry.replicas[index]
                slot.outstandingTokens -= lease.tokens
                slot.inFlight -= 1
                switch outcome {
                case .succeeded:
                    slot.served += 1
                    slot.consecutiveFailures = 0
                case .failed:
                    slot.failures += 1
                    slot.consecutiveFailures += 1
                    if slot.consecutiveFailures >= configuration.failureThreshold {
                        slot.ejectedUntil = now + configuration.ejectionInterval
                        slot.consecutiveFailures = 0
                    }
                case .abandoned:
                    break
                }
                entry.replicas[index] = slot
            }
            state.models[lease.model]!.versions[lease.version] = entry
            return Self.recordOutcome(outcome, model: lease.model, version: lease.version, at: now, in: &state, configuration: configuration)
        }
        if let rollbackReason {
            self.rollbackAutomatically(model: lease.model, canary: lease.version, reason: rollbackReason)
        }
    }

    /// A request the version could not place on any replica (all out of rotation): it
    /// counts as a failure of the version.
    func recordUnavailable(model: String, version: String) {
        let configuration = self.configuration
        let rollbackReason = self.state.withLock { state in
            Self.recordOutcome(.failed, model: model, version: version, at: .now, in: &state, configuration: configuration)
        }
        if let rollbackReason {
            self.rollbackAutomatically(model: model, canary: version, reason: rollbackReason)
        }
    }

    /// Adds the outcome to the version's window; for a canary, the reason to roll it back
    /// if its window now compares badly with stable's.
    private static func recordOutcome(
        _ outcome: AttemptOutcome, model: String, version: String, at now: ContinuousClock.Instant, in state: inout State,
        configuration: Configuration
    ) -> String? {
        guard state.models[model]?.versions[version] != nil else { return nil }
        let window = configuration.autoRollback.window
        switch outcome {
        case .succeeded(let ttft):
            state.models[model]!.versions[version]!.window.record(.init(at: now, failed: false, timeToFirstToken: ttft), window: window)
        case .failed:
            state.models[model]!.versions[version]!.window.record(.init(at: now, failed: true, timeToFirstToken: nil), window: window)
        case .abandoned:
            return nil
        }
        let entry = state.models[model]!.versions[version]!
        guard entry.state == .canary, let entries = state.models[model], entries.operation == nil,
            let stable = entries.versions.values.first(where: { $0.state == .stable })
        else { return nil }
        return configuration.autoRollback.verdict(canary: entry.window, stable: stable.window)
    }

    /// Makes a share (0...1) of the version's requests fail on each of its replicas, before
    /// their first token: a test hook for health, retry and automatic rollback.
    public func injectFaults(model: String, version: String, rate: Double, actor: String) throws(RegistryError) {
        guard (0...1).contains(rate) else { throw RegistryError(.invalidArgument, "fault rate must be within 0...1, got \(rate)") }
        let found = self.state.withLock { state -> Bool in
            guard let entry = state.models[model]?.versions[version] else { return false }
            for index in entry.replicas.indices {
                state.models[model]!.versions[version]!.replicas[index].faultRate = rate
                state.models[model]!.versions[version]!.replicas[index].faultCredit = 0
            }
            return true
        }
        guard found else { throw RegistryError(.notFound, "no model version \(model)@\(version) is loaded") }
        self.record(actor: actor, action: "inject-faults", model: model, version: version, outcome: "ok", detail: "rate \(rate)")
    }
}
