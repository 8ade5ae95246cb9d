import Foundation
import HTTPTransport
import NIOCore
import NIOPosix
import Testing

/// h2load against this server (fixed 13-byte body) and against nghttpd serving a file of the
/// same size, in one run. Runs only when SWITCHYARD_TRANSPORT_BENCH is set; prints req/s.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SWITCHYARD_TRANSPORT_BENCH"] != nil))
struct TransportBenchmarkTests {
    static let settings: [(name: String, arguments: [String])] = [
        ("-n20000 -c16 -m32", ["-n20000", "-c16", "-m32"]),
        ("-n2000 -c1 -m1", ["-n2000", "-c1", "-m1"]),
    ]

    @Test func switchyardVersusNghttpd() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nghttpd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("hello, world\n".utf8).write(to: root.appendingPathComponent("hello"))
        let nghttpdPort = Int.random(in: 30_000..<40_000)
        let nghttpd = Process()
        nghttpd.executableURL = URL(fileURLWithPath: "/usr/sbin/nghttpd")
        nghttpd.arguments = ["--no-tls", "-d", root.path, String(nghttpdPort)]
        // nghttpd's output goes nowhere, so no pipe of the test runner stays open behind it,
        // and it is killed outright: it does not stop on SIGTERM while serving.
        nghttpd.standardOutput = FileHandle.nullDevice
        nghttpd.standardError = FileHandle.nullDevice
        try nghttpd.run()
        defer { kill(nghttpd.processIdentifier, SIGKILL) }
        try await Task.sleep(for: .milliseconds(500))

        // The shared group (one loop per core) and a single loop, as nghttpd runs by default.
        let singleLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        for (groupName, group) in [("shared group", MultiThreadedEventLoopGroup.singleton), ("one loop", singleLoop)] {
            let running = try await RunningServer.start(eventLoopGroup: group)
            for setting in Self.settings {
                let ours = try await Self.requestsPerSecond(setting.arguments, url: "\(running.baseURL)/hello")
                let theirs = try await Self.requestsPerSecond(setting.arguments, url: "http://127.0.0.1:\(nghttpdPort)/hello")
                let ratio = ours / max(theirs, 1)
                print("h2load \(setting.name) [\(groupName)]: switchyard \(Int(ours)) req/s, nghttpd \(Int(theirs)) req/s, ratio \(String(format: "%.2f", ratio))")
                #expect(ours > 0 && theirs > 0)
            }
            await running.server.shutdown()
        }
        try await singleLoop.shutdownGracefully()
    }

    /// The req/s figure h2load reports ("finished in …, N req/s, …"); every request must succeed.
    static func requestsPerSecond(_ arguments: [String], url: String) async throws -> Double {
        let result = try await Tool.run("/usr/bin/h2load", arguments + [url], timeout: .seconds(30))
        #expect(result.output.contains(" 0 failed, 0 errored, 0 timeout"), "\(result.output)")
        for line in result.output.split(whereSeparator: \.isNewline) where line.hasPrefix("finished in") {
            let parts = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if let field = parts.first(where: { $0.hasSuffix("req/s") }),
                let value = Double(field.replacingOccurrences(of: " req/s", with: ""))
            {
                return value
            }
        }
        return 0
    }
}
