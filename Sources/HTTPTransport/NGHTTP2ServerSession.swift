import CNGHTTP2
import HTTPTypes

/// Creates nghttp2 server sessions whose callbacks reach their `HTTP2ConnectionHandler`
/// through an unretained `user_data` pointer: the handler owns the session and deletes it
/// before it goes away, so the pointer never outlives the handler.
enum NGHTTP2ServerSession {
    static func make(for connection: HTTP2ConnectionHandler, configuration: HTTPServerConfiguration) -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Self.onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Self.onHeader)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Self.onDataChunk)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Self.onFrame)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Self.onStreamClose)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // Refuse header blocks split over more CONTINUATION frames than any sane client needs.
        nghttp2_option_set_max_continuations(option, 16)

        var session: OpaquePointer?
        let userData = Unmanaged.passUnretained(connection).toOpaque()
        guard nghttp2_session_server_new2(&session, callbacks, userData, option) == 0, let session else { return nil }

        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: configuration.maxConcurrentStreams)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: configuration.maxHeaderListSize)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(clamping: min(configuration.initialWindowSize, Int(Int32.max)))
            ),
        ]
        let submitted = settings.withUnsafeMutableBufferPointer { entries in
            nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries.baseAddress, entries.count)
        }
        // A connection window far larger than one stream's lets many streams upload at once.
        let connectionWindow = Int32(clamping: max(configuration.initialWindowSize * 16, 1 << 20))
        let enlarged = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow)
        guard submitted == 0, enlarged == 0 else {
            nghttp2_session_del(session)
            return nil
        }
        return session
    }

    private static func connection(_ userData: UnsafeMutableRawPointer?) -> HTTP2ConnectionHandler? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2ConnectionHandler>.fromOpaque(userData).takeUnretainedValue()
    }

    private static func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
        frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
    }

    private static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, let connection = connection(userData), isRequestHeaders(frame) else { return 0 }
        connection.beginStream(id: frame.pointee.hd.stream_id)
        return 0
    }

    private static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value, let connection = connection(userData), isRequestHeaders(frame),
            let stream = connection.stream(frame.pointee.hd.stream_id), !stream.rejected
        else { return 0 }
        stream.headerListSize += nameLength + valueLength + 32
        guard stream.headerListSize <= connection.configuration.maxHeaderListSize else {
            stream.fields = HTTPFields()
            return 0
        }
        let nameBytes = UnsafeBufferPointer(start: name, count: nameLength)
        let valueString = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        if KnownFieldNames.matches(nameBytes, ":method") {
            stream.method = valueString
        } else if KnownFieldNames.matches(nameBytes, ":path") {
            stream.path = valueString
        } else if KnownFieldNames.matches(nameBytes, ":scheme") {
            stream.scheme = valueString
        } else if KnownFieldNames.matches(nameBytes, ":authority") {
            stream.authority = valueString
        } else if let known = KnownFieldNames.name(for: nameBytes) {
            stream.fields.append(HTTPField(name: known, value: valueString))
        } else if let fieldName = HTTPField.Name(String(decoding: nameBytes, as: UTF8.self)) {
            // nghttp2's HTTP messaging checks already refused malformed names and pseudo-headers.
            stream.fields.append(HTTPField(name: fieldName, value: valueString))
        }
        return 0
    }

    private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        guard let data, let connection = connection(userData), let stream = connection.stream(streamID) else { return 0 }
        connection.bodyReceived(stream: stream, bytes: UnsafeRawBufferPointer(start: data, count: length))
        return 0
    }

    private static let onFrame: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame, let connection = connection(userData),
            let stream = connection.stream(frame.pointee.hd.stream_id)
        else { return 0 }
        let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        if isRequestHeaders(frame) {
            connection.headersReceived(stream: stream, endStream: endStream)
        } else if endStream {
            connection.requestEnded(stream: stream)
        }
        return 0
    }

    private static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, _, userData in
        connection(userData)?.streamClosed(id: streamID)
        return 0
    }

    static let readResponseData: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        guard let buffer, let flags, let connection = connection(userData) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        return connection.readResponseData(streamID: streamID, into: buffer, length: length, flags: flags)
    }
}
