import CNGHTTP2
import HTTPTypes

/// A response header list laid out for nghttp2: one stack allocation holds every name and
/// value, another the `nghttp2_nv` array pointing into it. nghttp2 copies the list when the
/// response is submitted, so it lives only for the duration of `withNameValuePairs`.
enum NGHTTP2HeaderList {
    /// Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2).
    static func isConnectionSpecific(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade": true
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
                func append(_ name: String, _ value: String) {
                    let namePointer = base + offset
                    offset += Self.copy(name, to: namePointer)
                    let valuePointer = base + offset
                    offset += Self.copy(value, to: valuePointer)
                    (listBase + count).initialize(to: nghttp2_nv(
                        name: namePointer, value: valuePointer,
                        namelen: valuePointer - namePointer, valuelen: base + offset - valuePointer,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                    count += 1
                }
                let code = response.status.code
                append(":status", String(code))
                for field in fields {
                    let name = field.name.canonicalName
                    if Self.isConnectionSpecific(name) { continue }
                    append(name, field.value)
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
