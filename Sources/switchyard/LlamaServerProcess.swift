import Foundation
import HTTPTransport
import HTTPTypes
import NIOCore
import Synchronization

/// llama.cpp's OpenAI-compatible `llama-server`, run as the reference for `bench batching`:
/// continuous batching with `slots` parallel slots, 8-bit KV (q8_0, which needs flash
/// attention), the same GGUF and thread count as ours, on a free loopback port. It is built
/// outside the repository; `LLAMA_CPP_BIN` names its directory.
final class LlamaServerProcess {
    let port: Int
    private let process: Process

    /// The executable named by the environment, or why there is none (one line).
    static func executableFromEnvironment() -> Result<String, LlamaCppReference.ReferenceError> {
        let variable = LlamaCppReference.environmentVariable
        guard let directory = ProcessInfo.processInfo.environment[variable], !directory.isEmpty else {
            return .failure(.init("\(variable) is not set (the directory holding llama-server)"))
        }
        let path = directory + "/llama-server"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            return .failure(.init("\(variable)=\(directory) has no executable llama-server"))
        }
        return .success(path)
    }

    /// Starts the server and waits (at most two minutes) until `/health` answers 200.
    init(
        executable: String, model: String, threads: Int, slots: Int, contextTokens: Int, group: any EventLoopGroup
    ) async throws {
        let port = try Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "-m", model, "-t", "\(threads)", "-np", "\(slots)", "-c", "\(contextTokens)", "-cb",
            "-fa", "on", "-ctk", "q8_0", "-ctv", "q8_0", "--host", "127.0.0.1", "--port", "\(port)",
            "--no-webui",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LlamaCppReference.ReferenceError("cannot start llama-server: \(error)")
        }
        self.port = port
        self.process = process
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw LlamaCppReference.ReferenceError("llama-server exited with status \(process.terminationStatus)")
            }
            if await Self.isHealthy(port: port, group: group) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        self.stop()
        throw LlamaCppReference.ReferenceError("llama-server did not become healthy within 120 s")
    }

    /// Whether `GET /health` answers 200 (llama-server says 503 while it loads the model).
    static func isHealthy(port: Int, group: any EventLoopGroup) async -> Bool {
        guard let connection = try? await HTTPClientConnection.connect(host: "127.0.0.1", port: port, protocol: .http1, eventLoopGroup: group)
        else { return false }
        let status = Mutex<Int?>(nil)
        let request = HTTPRequest(method: .get, scheme: nil, authority: "127.0.0.1:\(port)", path: "/health")
        try? await connection.execute(request) { event in
            if case .head(let response) = event { status.withLock { $0 = response.status.code } }
        }
        await connection.close()
        return status.withLock { $0 } == 200
    }

    /// SIGINT (llama-server's graceful stop), then SIGKILL after five seconds: it does not
    /// always exit on SIGTERM.
    func stop() {
        guard self.process.isRunning else { return }
        self.process.interrupt()
        for _ in 0..<50 where self.process.isRunning {
            usleep(100_000)
        }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
        }
        self.process.waitUntilExit()
    }

    /// A port nothing listens on now: bound to 0 on loopback, read back, released.
    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw LlamaCppReference.ReferenceError("cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw LlamaCppReference.ReferenceError("cannot bind a socket to find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
