import CNGHTTP2
import HTTPTypes

/// Creates nghttp2 client sessions whose callbacks reach their `HTTP2ClientConnectionHandler`
/// through an unretained `user_data` pointer: the handler owns the session and deletes it
/// before it goes away, so the pointer never outlives the handler.
enum NGHTTP2ClientSession {
    /// Response bodies stream token by token; a large window keeps flow control out of the
    /// measurement (the client reads everything as it arrives anyway).
    static let receiveWindow: Int32 = 16 << 20

    static func make(for connection: HTTP2ClientConnectionHandler) -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Self.onHeader)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Self.onDataChunk)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Self.onFrame)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Self.onStreamClose)

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(connection).toOpaque()
        guard nghttp2_session_client_new(&session, callbacks, userData) == 0, let session else { return nil }

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(Self.receiveWindow)),
        ]
        let submitted = settings.withUnsafeMutableBufferPointer { entries in
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries.baseAddress, entries.count)
        }
        let enlarged = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.receiveWindow)
        guard submitted == 0, enlarged == 0 else {
            nghttp2_session_del(session)
            return nil
        }
        return session
    }

    private static func connection(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientConnectionHandler? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2ClientConnectionHandler>.fromOpaque(userData).takeUnretainedValue()
    }

    private static func isResponseHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_RESPONSE
    }

    private static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value, let connection = connection(userData), isResponseHeaders(frame),
            let exchange = connection.exchanges[frame.pointee.hd.stream_id]
        else { return 0 }
        let nameString = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
        let valueString = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        if nameString == ":status" {
            exchange.status = Int(valueString)
        } else if let fieldName = HTTPField.Name(nameString) {
            exchange.fields.append(HTTPField(name: fieldName, value: valueString))
        }
        return 0
    }

    private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        guard let data, let connection = connection(userData), let exchange = connection.exchanges[streamID] else { return 0 }
        connection.bodyReceived(exchange, bytes: UnsafeRawBufferPointer(start: data, count: length))
        return 0
    }

    private static let onFrame: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame, let connection = connection(userData), isResponseHeaders(frame),
            let exchange = connection.exchanges[frame.pointee.hd.stream_id]
        else { return 0 }
        exchange.deliverHead()
        return 0
    }

    private static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
        connection(userData)?.streamClosed(id: streamID, errorCode: errorCode)
        return 0
    }

    static let readRequestData: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        guard let buffer, let flags, let connection = connection(userData) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        return connection.readRequestData(streamID: streamID, into: buffer, length: length, flags: flags)
    }
}
