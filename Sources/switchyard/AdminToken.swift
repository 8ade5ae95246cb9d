import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The admin API's bearer token, found the same way by the server and the CLI:
/// `SWITCHYARD_ADMIN_TOKEN`, else `--admin-token-file`, else `DATA_DIR/admin-token` (which
/// the server creates, readable by its owner only, when absent).
enum AdminToken {
    static let environmentVariable = "SWITCHYARD_ADMIN_TOKEN"
    static let fileName = "admin-token"

    /// The server's token and where it came from.
    static func forServer(file: String?, dataDirectory: String) throws -> (token: String, source: String) {
        if let token = Self.fromEnvironment() { return (token, "$\(Self.environmentVariable)") }
        if let file { return (try Self.read(file), file) }
        let path = Self.defaultPath(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: path) { return (try Self.read(path), path) }
        return (try Self.generate(at: path), path)
    }

    /// The CLI's token; an error says where it looked.
    static func forClient(file: String?, dataDirectory: String) throws -> String {
        if let token = Self.fromEnvironment() { return token }
        if let file { return try Self.read(file) }
        let path = Self.defaultPath(dataDirectory: dataDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ServeError(
                "no admin token: set \(Self.environmentVariable), pass --admin-token-file, or run where the server's data directory is (\(path))")
        }
        return try Self.read(path)
    }

    static func defaultPath(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent(Self.fileName).path
    }

    private static func fromEnvironment() -> String? {
        guard let value = ProcessInfo.processInfo.environment[Self.environmentVariable], !value.isEmpty else { return nil }
        return value
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ServeError("cannot read admin token file \(path)") }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            throw ServeError("admin token file \(path) holds no token (one line, no spaces)")
        }
        return token
    }

    /// 32 random bytes as hex, written with mode 0600 (created exclusively, so a file that
    /// appeared meanwhile is never overwritten).
    private static func generate(at path: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw ServeError("cannot create admin token file \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array((token + "\n").utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw ServeError("cannot write admin token file \(path)") }
        return token
    }
}
