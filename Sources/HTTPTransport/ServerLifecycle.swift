import Synchronization

/// State every connection of one server shares: the count of requests in flight and whether
/// the server is shutting down (HTTP/1.1 answers with `connection: close` from then on).
final class ServerLifecycle: Sendable {
    private let inFlight = Atomic<Int>(0)
    private let quiescing = Atomic<Bool>(false)

    var activeStreamCount: Int { self.inFlight.load(ordering: .relaxed) }
    var isQuiescing: Bool { self.quiescing.load(ordering: .relaxed) }

    func requestStarted() { self.inFlight.add(1, ordering: .relaxed) }
    func requestEnded() { self.inFlight.subtract(1, ordering: .relaxed) }
    func beginQuiescing() { self.quiescing.store(true, ordering: .relaxed) }
}
