import HTTPTransport
import Synchronization

/// A fixed number of client connections used round-robin, each opened on first use and
/// reopened when the server has closed it (GOAWAY, idle timeout, HTTP/1.1 `close`).
final class ConnectionPool: Sendable {
    private typealias Slot = Task<HTTPClientConnection, any Error>

    private let configuration: LoadClientConfiguration
    private let slots: Mutex<[Slot?]>
    private let next = Atomic<Int>(0)

    init(configuration: LoadClientConfiguration) {
        self.configuration = configuration
        self.slots = Mutex(Array(repeating: nil, count: configuration.connections))
    }

    /// The next connection in turn, open.
    func connection() async throws(HTTPClientError) -> HTTPClientConnection {
        let index = self.next.add(1, ordering: .relaxed).oldValue % self.configuration.connections
        // Two tries: a connection found closed is replaced once; a second failure is real.
        for _ in 0..<2 {
            let slot = self.slot(at: index)
            let connection: HTTPClientConnection
            do {
                connection = try await slot.value
            } catch {
                self.clear(index, ifStill: slot)
                throw error as? HTTPClientError ?? HTTPClientError(.connectFailed, "\(error)")
            }
            if connection.isActive { return connection }
            self.clear(index, ifStill: slot)
        }
        throw HTTPClientError(.connectionClosed, "the connection closed as it opened")
    }

    private func slot(at index: Int) -> Slot {
        let configuration = self.configuration
        return self.slots.withLock { slots in
            if let slot = slots[index] { return slot }
            let slot = Slot {
                try await HTTPClientConnection.connect(
                    host: configuration.host, port: configuration.port, protocol: configuration.protocol,
                    tls: configuration.tls, eventLoopGroup: configuration.eventLoopGroup)
            }
            slots[index] = slot
            return slot
        }
    }

    private func clear(_ index: Int, ifStill slot: Slot) {
        self.slots.withLock { slots in
            if slots[index] == slot { slots[index] = nil }
        }
    }

    func close() async {
        let slots = self.slots.withLock { slots in
            defer { slots = Array(repeating: nil, count: slots.count) }
            return slots
        }
        for slot in slots.compactMap({ $0 }) {
            if let connection = try? await slot.value {
                await connection.close()
            }
        }
    }
}
