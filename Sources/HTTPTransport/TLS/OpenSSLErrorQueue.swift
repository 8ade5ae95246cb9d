import COpenSSL

/// OpenSSL reports failures on a per-thread error queue. An event loop thread serves many
/// connections, so every operation empties the queue first (`clear()`) and every failure
/// drains it into its message (`drainReasons()`): one connection's errors never leak into
/// another's, and `SSL_get_error` sees only the operation it is asked about.
enum OpenSSLErrorQueue {
    static func clear() {
        ERR_clear_error()
    }

    /// Empties the queue and returns its entries' reasons joined on one line, oldest first,
    /// or `fallback` when the queue held nothing.
    static func drainReasons(fallback: String = "no OpenSSL error recorded") -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
