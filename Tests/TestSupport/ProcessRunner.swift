import Foundation

/// Runs a real client (python, curl, h2load, chromium, the built binaries) to completion without blocking a
/// concurrency thread; output goes to temporary files, so a chatty child never fills a pipe.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum ProcessRunner {
    /// Runs `executable` under `timeout` (killed after `seconds`), waiting asynchronously.
    public static func run(_ executable: String, _ arguments: [String], timeoutSeconds seconds: Int = 120) async throws -> ProcessResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout")
        let errURL = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "5", String(seconds), executable] + arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        try out.close()
        try err.close()
        return ProcessResult(
            status: status,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// The package root, from this file's place in it.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The interpreter with the pinned clients: `SWITCHYARD_PYTHON`, else `.venv/bin/python`.
    public static var python: String {
        ProcessInfo.processInfo.environment["SWITCHYARD_PYTHON"]
            ?? Self.packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    public static func script(_ name: String) -> String {
        Self.packageRoot.appendingPathComponent("Tests/python/\(name)").path
    }
}
