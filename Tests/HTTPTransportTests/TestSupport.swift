import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOPosix
import Testing

/// A server on an ephemeral loopback port with the test handler behind it.
struct RunningServer {
    let server: HTTPServer
    let handler: TestRequestHandler
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(self.port)" }

    static func start(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        _ configure: (inout HTTPServerConfiguration) -> Void = { _ in }
    ) async throws -> RunningServer {
        var configuration = HTTPServerConfiguration(port: 0, shutdownGracePeriod: .seconds(2))
        configure(&configuration)
        let handler = TestRequestHandler()
        var logger = Logger(label: "transport-test")
        logger.logLevel = .warning
        let server = HTTPServer(configuration: configuration, handler: handler, eventLoopGroup: eventLoopGroup, logger: logger)
        let address = try await server.start()
        let port = try #require(address.port)
        return RunningServer(server: server, handler: handler, port: port)
    }

    /// Runs `body` against a fresh server and shuts the server down afterwards.
    static func with(
        _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
        _ body: (RunningServer) async throws -> Void
    ) async throws {
        let running = try await RunningServer.start(configure)
        do {
            try await body(running)
        } catch {
            await running.server.shutdown()
            throw error
        }
        await running.server.shutdown()
    }

    /// Polls until `condition` holds or `timeout` passes; returns whether it held.
    func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

/// The result of running a command-line tool.
struct ToolResult {
    var status: Int32
    var output: String
    var errorOutput: String
}

enum Tool {
    /// Runs `executable` with `arguments`, killing it after `timeout`. Output goes through
    /// files so a chatty tool never blocks on a full pipe.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> ToolResult {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("transport-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("transport-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                continuation.resume(returning: process.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
                if process.isRunning { process.terminate() }
            }
        }
        let output = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let errorOutput = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return ToolResult(status: status, output: output, errorOutput: errorOutput)
    }

    /// The Python interpreter with the `h2` package: SWITCHYARD_PYTHON, else `.venv/bin/python`
    /// under the package root.
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["SWITCHYARD_PYTHON"], !configured.isEmpty {
            return configured
        }
        return packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func pythonScript(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/python/\(name)").path
    }
}
