import CNGHTTP2
import HTTPTypes

/// A response header list laid out for nghttp2: one allocation holds every name and value,
/// and the `nghttp2_nv` array points into it. nghttp2 copies the list when the response is
/// submitted, so it lives only for the duration of `withNameValuePairs`.
enum NGHTTP2HeaderList {
    /// Connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2).
    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    static func withNameValuePairs<R>(
        for response: HTTPResponse,
        _ body: (UnsafePointer<nghttp2_nv>?, Int) -> R
    ) -> R {
        var pairs: [(String, String)] = [(":status", String(response.status.code))]
        for field in response.headerFields {
            let name = field.name.canonicalName
            if Self.connectionSpecific.contains(name) { continue }
            pairs.append((name, field.value))
        }
        let byteCount = pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: max(byteCount, 1))
        defer { storage.deallocate() }
        var list = [nghttp2_nv]()
        list.reserveCapacity(pairs.count)
        var offset = 0
        for (name, value) in pairs {
            let namePointer = storage + offset
            offset += Self.copy(name, to: namePointer)
            let valuePointer = storage + offset
            offset += Self.copy(value, to: valuePointer)
            list.append(
                nghttp2_nv(
                    name: namePointer,
                    value: valuePointer,
                    namelen: name.utf8.count,
                    valuelen: value.utf8.count,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            )
        }
        return list.withUnsafeBufferPointer { buffer in
            body(buffer.baseAddress, buffer.count)
        }
    }

    private static func copy(_ string: String, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        for byte in string.utf8 {
            destination[count] = byte
            count += 1
        }
        return count
    }
}
