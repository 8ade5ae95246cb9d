import HTTPTransport
import Testing

@Suite struct HTTPTransportErrorTests {
    @Test func describesCodeAndMessage() {
        let error = HTTPTransportError(.streamClosed, "RST_STREAM CANCEL")
        #expect(error.description == "stream_closed: RST_STREAM CANCEL")
    }
}
