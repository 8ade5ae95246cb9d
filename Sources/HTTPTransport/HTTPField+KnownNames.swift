import HTTPTypes

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Request field names matched on nghttp2's bytes, so that its header callback makes neither
/// a name string nor a validated `HTTPField.Name` for the fields most requests carry (HTTP/2
/// names are already lowercase, and nghttp2 has checked their characters).
enum KnownFieldNames {
    private static let names: [(bytes: [UInt8], name: HTTPField.Name)] = [
        HTTPField.Name.contentType, .contentLength, .userAgent, .accept, .acceptEncoding, .authorization,
    ].map { (Array($0.canonicalName.utf8), $0) }

    static func name(for bytes: UnsafeBufferPointer<UInt8>) -> HTTPField.Name? {
        for entry in Self.names where entry.bytes.count == bytes.count {
            let equal = entry.bytes.withUnsafeBufferPointer { known in Self.sameBytes(known, bytes) }
            if equal { return entry.name }
        }
        return nil
    }

    /// Whether `bytes` spell `literal`.
    static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        bytes.count == literal.utf8CodeUnitCount
            && Self.sameBytes(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), bytes)
    }

    private static func sameBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let left = a.baseAddress, let right = b.baseAddress else { return a.count == 0 }
        return memcmp(left, right, a.count) == 0
    }
}
