import HTTPTypes
import NIOCore

/// One HTTP/2 stream's request as it arrives and its response as it leaves. Owned by the
/// connection handler and touched only on its event loop.
final class HTTP2Stream {
    /// Bytes a writer handed over, and the continuation to resume once nghttp2 has taken them.
    struct PendingWrite {
        var bytes: ByteBuffer
        var continuation: CheckedContinuation<Void, any Error>?
    }

    let id: Int32
    var method: String?
    var scheme: String?
    var authority: String?
    var path: String?
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

    init(id: Int32) {
        self.id = id
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
