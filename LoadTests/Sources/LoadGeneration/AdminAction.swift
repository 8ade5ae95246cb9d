/// One step of a model lifecycle that a run drives through the gateway's admin API at a set
/// time: load, validate, canary, promote, retire or roll back a model version. Written
/// `AT ACTION MODEL[@VERSION] [weight=W] [replicas=N]` (`5s load smollm2@2`,
/// `9s canary smollm2@2 weight=0.1`, `30s rollback smollm2`).
public struct AdminAction: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case load, validate, canary, promote, retire, rollback
    }

    /// Seconds from the run's start.
    public var at: Double
    public var kind: Kind
    public var model: String
    /// Every action but `rollback` names a version.
    public var version: String?
    /// `canary`: the share of the model's traffic, strictly between 0 and 1.
    public var weight: Double?
    /// `load`: replicas to load (else the manifest's count).
    public var replicas: Int?

    public init(at: Double, kind: Kind, model: String, version: String?, weight: Double? = nil, replicas: Int? = nil) {
        self.at = at
        self.kind = kind
        self.model = model
        self.version = version
        self.weight = weight
        self.replicas = replicas
    }

    /// Parses the written form; every problem is one line naming the action.
    public init(parsing text: String) throws(LoadConfigurationError) {
        let fail = { (problem: String) in LoadConfigurationError("--admin-action '\(text)': \(problem)") }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 3 else { throw fail("expected AT ACTION MODEL[@VERSION] [weight=W] [replicas=N]") }
        guard let at = DurationText.seconds(words[0]) else { throw fail("'\(words[0])' is not a time (e.g. 5s)") }
        guard let kind = Kind(rawValue: words[1]) else {
            throw fail("unknown action '\(words[1])' (\(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let target = words[2].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let model = target.first, !model.isEmpty, target.count == 1 || !target[1].isEmpty else {
            throw fail("'\(words[2])' is not MODEL or MODEL@VERSION")
        }
        self.init(at: at, kind: kind, model: model, version: target.count == 2 ? target[1] : nil)
        for option in words.dropFirst(3) {
            let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count) {
            case ("weight", 2):
                guard let weight = Double(parts[1]) else { throw fail("weight '\(parts[1])' is not a number") }
                self.weight = weight
            case ("replicas", 2):
                guard let replicas = Int(parts[1]) else { throw fail("replicas '\(parts[1])' is not an integer") }
                self.replicas = replicas
            default:
                throw fail("unknown option '\(option)' (weight=W, replicas=N)")
            }
        }
        if let problem = self.problem { throw fail(problem) }
    }

    /// What makes the action unusable, if anything.
    var problem: String? {
        let names = [self.model] + (self.version.map { [$0] } ?? [])
        if names.contains(where: { !$0.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) } }) {
            return "model and version may hold only letters, digits, '.', '_' and '-'"
        }
        if self.kind == .rollback {
            if self.version != nil { return "rollback names a model, not a version" }
        } else if self.version == nil {
            return "\(self.kind.rawValue) needs MODEL@VERSION"
        }
        if self.kind == .canary {
            guard let weight = self.weight, weight > 0, weight < 1 else { return "canary needs weight=W with 0 < W < 1" }
        } else if self.weight != nil {
            return "weight= belongs to canary"
        }
        if let replicas = self.replicas {
            guard self.kind == .load else { return "replicas= belongs to load" }
            guard (1...64).contains(replicas) else { return "replicas must be 1...64" }
        }
        return nil
    }

    /// `smollm2@2`, or the model alone.
    public var target: String {
        self.version.map { "\(self.model)@\($0)" } ?? self.model
    }

    /// The written form, as the reports show it.
    public var text: String {
        let at = self.at == self.at.rounded() && abs(self.at) < 1e9 ? String(Int(self.at)) : String(self.at)
        var words = [at + "s", self.kind.rawValue, self.target]
        if let weight = self.weight { words.append("weight=\(weight)") }
        if let replicas = self.replicas { words.append("replicas=\(replicas)") }
        return words.joined(separator: " ")
    }

    /// The admin API's path for it.
    var path: String {
        switch self.kind {
        case .rollback: "/admin/models/\(self.model)/rollback"
        default: "/admin/models/\(self.model)/\(self.version ?? "")/\(self.kind.rawValue)"
        }
    }

    /// The JSON body the admin API takes.
    var body: String {
        if let weight = self.weight { return "{\"weight\": \(weight)}" }
        if let replicas = self.replicas { return "{\"replicas\": \(replicas)}" }
        return "{}"
    }
}
