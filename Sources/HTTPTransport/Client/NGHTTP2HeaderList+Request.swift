import CNGHTTP2
import HTTPTypes

extension NGHTTP2HeaderList {
    /// A request header list for `nghttp2_submit_request`, laid out as the response list is:
    /// pseudo-header fields first, then the request's fields (connection-specific ones dropped).
    static func withNameValuePairs<R>(
        for request: HTTPRequest,
        _ body: (UnsafePointer<nghttp2_nv>?, Int) -> R
    ) -> R {
        var pairs: [(String, String)] = [(":method", request.method.rawValue)]
        if let scheme = request.scheme { pairs.append((":scheme", scheme)) }
        if let authority = request.authority { pairs.append((":authority", authority)) }
        if let path = request.path { pairs.append((":path", path)) }
        for field in request.headerFields {
            let name = field.name.canonicalName
            // HTTP/2 carries the host as :authority.
            if Self.isConnectionSpecific(name) || name == "host" { continue }
            pairs.append((name, field.value))
        }
        let byteCount = pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(byteCount, 1)) { storage in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: pairs.count) { list in
                guard let base = storage.baseAddress, let listBase = list.baseAddress else { return body(nil, 0) }
                var offset = 0
                for (index, (name, value)) in pairs.enumerated() {
                    let namePointer = base + offset
                    offset += Self.copy(name, to: namePointer)
                    let valuePointer = base + offset
                    offset += Self.copy(value, to: valuePointer)
                    (listBase + index).initialize(to: nghttp2_nv(
                        name: namePointer, value: valuePointer,
                        namelen: valuePointer - namePointer, valuelen: base + offset - valuePointer,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                }
                return body(UnsafePointer(listBase), pairs.count)
            }
        }
    }
}
