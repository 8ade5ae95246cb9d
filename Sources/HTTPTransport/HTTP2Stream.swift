import HTTPTypes
import NIOCore

/// One HTTP/2 stream's request as it arrives and its response as it leaves. Owned by the
/// connection handler and touched only on its event loop, which reuses closed ones
/// (`reuse(id:)` puts every property back as `init` leaves it).
final class HTTP2Stream {
    /// Bytes a writer handed over, and the continuation to resume once nghttp2 has taken them.
    struct PendingWrite {
        var bytes: ByteBuffer
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private(set) var id: Int32
    var method: String?
    var scheme: String?
    var authority: String?
    var path: String?
    /// The regular fields. Their storage is kept when the stream is reused, and shared with the
    /// request the handler gets: by the next reuse the handler is done with it, so clearing it
    /// allocates nothing (a new `HTTPFields` per request allocated and regrew it, profiled).
    var fields = HTTPFields()
    /// Header section size as RFC 9113 §6.5.2 counts it (name + value + 32 per field).
    var headerListSize = 0
    var body = ByteBuffer()
    /// The transport answered this stream itself (413, 431); what else arrives is dropped.
    var rejected = false

    var writerState: ResponseWriterState?
    var task: Task<Void, Never>?
    var responseSubmitted = false
    // Small at first: most responses are one or two writes (the default is 16 slots).
    var outbound = CircularBuffer<PendingWrite>(initialCapacity: 2)
    /// Bytes in `outbound` that nghttp2 has not taken yet.
    var queuedBytes = 0
    var endQueued = false
    /// nghttp2 was told NGHTTP2_ERR_DEFERRED and waits for `nghttp2_session_resume_data`.
    var deferred = false

    /// The most fields or queued writes whose storage a reused stream keeps.
    private static let keptCapacity = 32

    init(id: Int32) {
        self.id = id
        // Room for what a typical client sends, so the array is not regrown field by field.
        self.fields.reserveCapacity(8)
    }

    /// The stream as `init(id:)` makes it, keeping the storage of its field list and write
    /// queue: a connection with many short streams would otherwise allocate both per request.
    func reuse(id: Int32) {
        self.id = id
        self.method = nil
        self.scheme = nil
        self.authority = nil
        self.path = nil
        // Storage past a typical request's is let go rather than kept in the pool: a request
        // with hundreds of fields, or a long-queued stream, must not leave it allocated.
        if self.fields.count <= Self.keptCapacity {
            self.fields.removeAll(keepingCapacity: true)
        } else {
            self.fields = HTTPFields()
            self.fields.reserveCapacity(8)
        }
        self.headerListSize = 0
        self.body = ByteBuffer()
        self.rejected = false
        self.writerState = nil
        self.task = nil
        self.responseSubmitted = false
        if self.outbound.capacity <= Self.keptCapacity {
            self.outbound.removeAll(keepingCapacity: true)
        } else {
            self.outbound = CircularBuffer(initialCapacity: 2)
        }
        self.queuedBytes = 0
        self.endQueued = false
        self.deferred = false
    }

    /// Fails every write still waiting: the stream is gone.
    func failPendingWrites() {
        while let pending = self.outbound.popFirst() {
            pending.continuation?.resume(throwing: HTTPTransportError(.streamClosed, "the stream was closed"))
        }
    }

    func makeRequestHead() -> HTTPRequest? {
        guard let methodName = self.method, let method = HTTPRequest.Method(methodName) else { return nil }
        return HTTPRequest(
            method: method,
            scheme: self.scheme,
            authority: self.authority,
            path: self.path,
            headerFields: self.fields
        )
    }
}
