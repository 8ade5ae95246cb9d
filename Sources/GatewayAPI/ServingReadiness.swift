import Synchronization

/// Whether the gateway takes traffic: `/health/ready` answers 503 until `markReady()` and
/// again from `markDraining()` on, so a load balancer stops sending before shutdown.
public final class ServingReadiness: Sendable {
    public enum State: String, Sendable {
        case starting
        case ready
        case draining
    }

    private let state: Mutex<State>

    public init(_ initial: State = .starting) {
        self.state = Mutex(initial)
    }

    public var current: State { self.state.withLock { $0 } }

    public func markReady() { self.state.withLock { $0 = .ready } }

    public func markDraining() { self.state.withLock { $0 = .draining } }
}
