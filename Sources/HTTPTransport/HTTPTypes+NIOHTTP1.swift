import HTTPTypes
import NIOHTTP1

extension HTTPRequest {
    /// The HTTPTypes form of an HTTP/1.1 request head: `Host` becomes the authority and the
    /// request target the path, as HTTP/2's pseudo-header fields carry them.
    init?(_ head: HTTPRequestHead, isSecure: Bool) {
        guard let method = HTTPRequest.Method(head.method.rawValue) else { return nil }
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        var authority: String?
        for (name, value) in head.headers {
            if authority == nil, name.lowercased() == "host" {
                authority = value
                continue
            }
            if let fieldName = HTTPField.Name(name) {
                fields.append(HTTPField(name: fieldName, value: value))
            }
        }
        self.init(
            method: method,
            scheme: isSecure ? "https" : "http",
            authority: authority,
            path: head.uri,
            headerFields: fields
        )
    }
}

extension HTTPResponseHead {
    init(_ response: HTTPResponse, keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headerFields.count + 1)
        for field in response.headerFields {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        }
        self.init(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: response.status.code, reasonPhrase: response.status.reasonPhrase),
            headers: headers
        )
    }
}
