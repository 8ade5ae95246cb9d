import HTTPTypes

/// Field names that most requests carry, matched on nghttp2's bytes so that their header
/// callback makes neither a name string nor a validated `HTTPField.Name` (HTTP/2 names are
/// already lowercase, and nghttp2 has checked their characters).
enum KnownFieldNames {
    private static let names: [(bytes: [UInt8], name: HTTPField.Name)] = [
        HTTPField.Name.contentType, .contentLength, .userAgent, .accept, .acceptEncoding, .authorization,
    ].map { (Array($0.canonicalName.utf8), $0) }

    static func name(for bytes: UnsafeBufferPointer<UInt8>) -> HTTPField.Name? {
        for entry in Self.names where entry.bytes.count == bytes.count && entry.bytes.elementsEqual(bytes) {
            return entry.name
        }
        return nil
    }
}
