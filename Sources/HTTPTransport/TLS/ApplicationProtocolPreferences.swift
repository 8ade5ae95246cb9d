import COpenSSL

/// The ALPN protocols a server accepts, in its order of preference, as the byte strings that
/// appear on the wire. Immutable; the ALPN select callback reads it through its `arg` pointer.
final class ApplicationProtocolPreferences: Sendable {
    let protocols: [[UInt8]]

    init(_ names: [String]) throws {
        var protocols: [[UInt8]] = []
        for name in names {
            let bytes = Array(name.utf8)
            // RFC 7301: each protocol name is 1 to 255 bytes.
            guard (1...255).contains(bytes.count) else {
                throw TLSError(.configuration, "ALPN protocol name must be 1 to 255 bytes: \"\(name)\"")
            }
            protocols.append(bytes)
        }
        self.protocols = protocols
    }

    /// The first of the server's protocols that the client's wire-format list offers, as a
    /// slice of that list (offset and length), or nil when they share none. A malformed
    /// client list (a length running past its end) shares nothing.
    func select(fromClientList client: UnsafeBufferPointer<UInt8>) -> (offset: Int, count: Int)? {
        for candidate in self.protocols {
            var index = 0
            while index < client.count {
                let length = Int(client[index])
                let start = index + 1
                guard length > 0, start + length <= client.count else { return nil }
                if length == candidate.count && candidate.elementsEqual(client[start..<(start + length)]) {
                    return (start, length)
                }
                index = start + length
            }
        }
        return nil
    }
}

/// The `SSL_CTX` ALPN select callback. The answer points into the client's list (`in`),
/// which OpenSSL copies before it returns, so no memory of ours has to outlive the call.
/// No overlap gets RFC 7301's fatal `no_application_protocol` alert.
func selectApplicationProtocol(
    _ ssl: OpaquePointer?,
    _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt8>?,
    _ clientList: UnsafePointer<UInt8>?,
    _ clientListLength: UInt32,
    _ argument: UnsafeMutableRawPointer?
) -> Int32 {
    guard let out, let outLength, let clientList, let argument else { return SSL_TLSEXT_ERR_ALERT_FATAL }
    let preferences = Unmanaged<ApplicationProtocolPreferences>.fromOpaque(argument).takeUnretainedValue()
    let client = UnsafeBufferPointer(start: clientList, count: Int(clientListLength))
    guard let (offset, count) = preferences.select(fromClientList: client) else {
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    out.pointee = clientList + offset
    outLength.pointee = UInt8(count)
    return SSL_TLSEXT_ERR_OK
}
