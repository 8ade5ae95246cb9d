/// Where a version is in its lifecycle. Only `canary` and `stable` versions take weighted
/// traffic; `loaded` and `ready` versions answer requests that name them exactly.
public enum VersionState: String, Sendable, Codable, CaseIterable {
    /// Replicas are being made.
    case loading
    /// Replicas are up; not validated yet.
    case loaded
    /// Golden prompts and the latency smoke check are running.
    case validating
    /// Validated; no weighted traffic (a standby after promotion or rollback).
    case ready
    /// Validation refused it; it can be validated again or retired.
    case refused
    case canary
    case stable
    /// Leaving: in-flight and queued requests finish, then it unloads.
    case draining
    case retired

    /// States whose replicas exist and serve.
    public var isServing: Bool {
        switch self {
        case .loaded, .validating, .ready, .refused, .canary, .stable, .draining: true
        case .loading, .retired: false
        }
    }

    /// States that have passed validation.
    public var isValidated: Bool { self == .ready || self == .canary || self == .stable }
}
