import Synchronization

/// Whether a client connection still takes requests, readable from any thread. The
/// protocol handler marks it closed the moment it stops accepting (HTTP/1.1 closing to
/// cancel, `connection: close`, a torn-down HTTP/2 session), before the channel itself
/// reports inactive, so a pool never hands out a connection that would refuse at once.
final class ClientConnectionState: Sendable {
    private let open = Atomic<Bool>(true)

    var isOpen: Bool { self.open.load(ordering: .acquiring) }

    func markClosed() {
        self.open.store(false, ordering: .releasing)
    }
}
