import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A temporary directory with a fresh self-signed P-256 certificate and key, made by the
/// `openssl` command line tool, as an operator would.
struct TLSTestCertificate {
    let directory: URL
    let certificatePath: String
    let keyPath: String

    static func make(name: String = "server") throws -> TLSTestCertificate {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = TLSTestCertificate(
            directory: directory,
            certificatePath: directory.appendingPathComponent("\(name).crt").path,
            keyPath: directory.appendingPathComponent("\(name).key").path
        )
        let result = try ExternalCommand.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-days", "1", "-subj", "/CN=localhost",
            "-keyout", certificate.keyPath, "-out", certificate.certificatePath,
        ])
        guard result.status == 0 else {
            throw TLSTestFailure("openssl req failed: \(result.standardError)")
        }
        return certificate
    }

    var configuration: TLSConfiguration {
        TLSConfiguration(certificateChainPath: self.certificatePath, privateKeyPath: self.keyPath)
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}

struct TLSTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command under coreutils' `timeout`, so no test can hang on a peer; output goes to
/// files, so large outputs cannot fill a pipe and stall the child.
enum ExternalCommand {
    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    static func run(_ arguments: [String], input: Data? = nil, timeoutSeconds: Int = 30) throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        let inputURL = directory.appendingPathComponent("stdin")
        try (input ?? Data()).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "5", "\(timeoutSeconds)"] + arguments
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
        )
    }
}

/// Deterministic bytes with no short period, so a lost, repeated or reordered record shows.
func tlsTestPattern(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

/// Log lines captured by a `Logger` whose handler the test owns (no global bootstrap).
final class TLSTestLogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var recorded: [String] { self.lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "switchyard.tls.test") { _ in RecordingHandler(recorder: self) }
    }

    fileprivate func append(_ line: String) {
        self.lines.withLock { $0.append(line) }
    }

    private struct RecordingHandler: LogHandler {
        let recorder: TLSTestLogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.recorder.append("\(event.level) \(event.message)")
        }
    }
}
