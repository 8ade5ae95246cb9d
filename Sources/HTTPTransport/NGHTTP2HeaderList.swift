import CNGHTTP2
import HTTPTypes

/// A response header list laid out for nghttp2: one stack allocation holds every name and
/// value, another the `nghttp2_nv` array pointing into it. nghttp2 copies the list when the
/// response is submitted, so it lives only for the duration of `withNameValuePairs`.
enum NGHTTP2HeaderList {
    /// Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2).
    static func isConnectionSpecific(_ name: String) -> Bool {
        // By length first: comparing a name with each literal is a runtime call per literal.
        switch name.utf8.count {
        case 7: name == "upgrade"
        case 10: name == "connection" || name == "keep-alive"
        case 16: name == "proxy-connection"
        case 17: name == "transfer-encoding"
        default: false
        }
    }

    /// Fields whose value no other response repeats. HPACK would add each to the connection's
    /// dynamic table, only to evict the fields that do repeat (content type, model version),
    /// so every response would pay for a table insert and its next one for re-adding those.
    static func isUniquePerResponse(_ name: String) -> Bool {
        switch name.utf8.count {
        case 12: name == "x-request-id"
        case 11: name == "traceparent"
        default: false
        }
    }

    static func withNameValuePairs<R>(
        for response: HTTPResponse,
        _ body: (UnsafePointer<nghttp2_nv>?, Int) -> R
    ) -> R {
        let fields = response.headerFields
        // ":status" and three digits (HTTPTypes keeps codes within 100...999), then the fields.
        var byteCount = 10
        for field in fields {
            byteCount += field.name.canonicalName.utf8.count + field.value.utf8.count
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { storage in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: fields.count + 1) { list in
                guard let base = storage.baseAddress, let listBase = list.baseAddress else { return body(nil, 0) }
                var offset = 0
                var count = 0
                func append(_ name: String, _ value: String, indexed: Bool = true) {
                    let namePointer = base + offset
                    offset += Self.copy(name, to: namePointer)
                    let valuePointer = base + offset
                    offset += Self.copy(value, to: valuePointer)
                    (listBase + count).initialize(to: nghttp2_nv(
                        name: namePointer, value: valuePointer,
                        namelen: valuePointer - namePointer, valuelen: base + offset - valuePointer,
                        flags: UInt8(indexed ? NGHTTP2_NV_FLAG_NONE.rawValue : NGHTTP2_NV_FLAG_NO_INDEX.rawValue)))
                    count += 1
                }
                let code = response.status.code
                append(":status", String(code))
                for field in fields {
                    let name = field.name.canonicalName
                    if Self.isConnectionSpecific(name) { continue }
                    append(name, field.value, indexed: !Self.isUniquePerResponse(name))
                }
                return body(UnsafePointer(listBase), count)
            }
        }
    }

    static func copy(_ string: String, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var string = string
        return string.withUTF8 { bytes in
            guard let source = bytes.baseAddress else { return 0 }
            destination.update(from: source, count: bytes.count)
            return bytes.count
        }
    }
}
