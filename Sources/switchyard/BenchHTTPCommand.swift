import ArgumentParser
import Foundation
import GatewayAPI
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore
import NIOPosix

/// `switchyard bench http`: the gateway with the `echo` model against `nghttpd` serving a file
/// of the same byte size as the echo response, under the same h2load settings, in one run and
/// alternating, so each ratio compares figures taken under the same conditions (this host is
/// shared). Also HTTP/1.1 against HTTP/2 on the gateway. Everything stays on 127.0.0.1, every
/// h2load run is bounded in requests and time, and nghttpd is killed at the end.
struct BenchHTTP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Benchmark the gateway (echo model) against nghttpd with h2load, HTTP/2 and HTTP/1.1.")

    @Option(help: "Rounds; each runs every setting against both servers (medians are reported).")
    var rounds = 3

    @Option(help: "Requests of the many-streams runs (-c16 -m32, and -c16 over HTTP/1.1).")
    var requests = 20_000

    @Option(help: "Requests of the one-stream runs (-c1 -m1).")
    var latencyRequests = 2_000

    @Option(help: "h2load client threads (-t) of every run; on a host with cores to spare, more than one keeps the client from being the limit.")
    var h2loadThreads = 1

    @Flag(help: "Serve with telemetry on, as `serve` does: traces into a trace store, metrics, a JSON access log (to a file).")
    var telemetry = false

    @Option(help: "h2load executable.")
    var h2load = "/usr/bin/h2load"

    @Option(help: "nghttpd executable.")
    var nghttpd = "/usr/sbin/nghttpd"

    /// The request every run sends: a small non-streaming completion.
    static let requestBody = #"{"model":"echo","prompt":"hello world","max_tokens":2}"#
    static let path = "/v1/completions"

    func validate() throws {
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be 1…15") }
        guard (1...64).contains(h2loadThreads) else { throw ValidationError("--h2load-threads must be 1…64") }
        guard (1...200_000).contains(requests), (1...200_000).contains(latencyRequests) else {
            throw ValidationError("--requests and --latency-requests must be 1…200000")
        }
    }

    func run() async throws {
        for (tool, package) in [(self.h2load, "nghttp2-client"), (self.nghttpd, "nghttp2-server")]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            FileHandle.standardError.write(Data("switchyard bench http: \(tool) is missing; install the Debian package \(package) (make setup does)\n".utf8))
            throw ExitCode.failure
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-bench-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let bodyFile = root.appendingPathComponent("request.json")
        try Data(Self.requestBody.utf8).write(to: bodyFile)

        var logger = Logger(label: "switchyard.bench")
        logger.logLevel = .warning
        let telemetry = try self.telemetry ? Self.makeTelemetry(in: root) : nil
        defer { try? telemetry?.close() }
        let handler = OpenAIRequestHandler(engines: [EchoEngine()], logger: logger, telemetry: telemetry)
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: handler, logger: logger)
        let address = try await server.start()
        let gateway = "http://127.0.0.1:\(address.port ?? 0)\(Self.path)"
        do {
            try await self.compare(gateway: gateway, root: root, bodyFile: bodyFile.path)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    /// What `serve` runs with, in the bench's directory: a trace store and a JSON access log
    /// (a file rather than standard error, so the bench's output stays readable).
    private static func makeTelemetry(in root: URL) throws -> Telemetry {
        let store = try TraceStore(directory: root.appendingPathComponent("data").path)
        let sink = try JSONLogSink.file(root.appendingPathComponent("access.log").path)
        return Telemetry(store: store, accessLog: Logger(label: "switchyard.access") { JSONLogHandler(label: $0, sink: sink) })
    }

    private func compare(gateway: String, root: URL, bodyFile: String) async throws {
        let load = H2Load(executable: self.h2load, bodyFile: bodyFile, threads: self.h2loadThreads)
        // nghttpd serves a file of the echo response's size at the same path.
        let probe = try await load.run(["-n1", "-c1", "-m1"], url: gateway)
        guard probe.dataBytes > 0 else {
            throw BenchHTTPError("the gateway's echo response had no body:\n\(probe.output)")
        }
        let documents = root.appendingPathComponent("www")
        let file = documents.appendingPathComponent(String(Self.path.dropFirst()))
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(repeating: UInt8(ascii: "x"), count: probe.dataBytes).write(to: file)

        let nghttpd = try await NGHTTPDaemon.start(executable: self.nghttpd, documentRoot: documents.path)
        defer { nghttpd.kill() }
        let reference = "http://127.0.0.1:\(nghttpd.port)\(Self.path)"

        print("""
            h2load on loopback: the gateway (echo model, \(probe.dataBytes)-byte response to a \(Self.requestBody.utf8.count)-byte \
            POST \(Self.path)) and nghttpd --no-tls (a \(probe.dataBytes)-byte file); \(self.rounds) rounds alternating, medians
            """)
        let settings: [(name: String, arguments: [String])] = [
            ("-n\(self.requests) -c16 -m32", ["-n\(self.requests)", "-c16", "-m32"]),
            ("-n\(self.latencyRequests) -c1 -m1", ["-n\(self.latencyRequests)", "-c1", "-m1"]),
        ]
        let http1Arguments = ["--h1", "-n\(self.requests)", "-c16", "-m1"]
        var ours = Array(repeating: [Sample](), count: settings.count)
        var theirs = Array(repeating: [Sample](), count: settings.count)
        var ratios = Array(repeating: [Double](), count: settings.count)
        var http1: [Sample] = [], http1Ratios: [Double] = []
        let gatewayCPU = { ProcessCPUTime.current() }
        let nghttpdCPU = { ProcessCPUTime.of(pid: nghttpd.process.processIdentifier) }
        for round in 0..<self.rounds {
            for (index, setting) in settings.enumerated() {
                // Alternate which server goes first, so neither always runs on a warmer host.
                if round % 2 == 0 {
                    ours[index].append(try await load.sample(setting.arguments, url: gateway, cpu: gatewayCPU))
                    theirs[index].append(try await load.sample(setting.arguments, url: reference, cpu: nghttpdCPU))
                } else {
                    theirs[index].append(try await load.sample(setting.arguments, url: reference, cpu: nghttpdCPU))
                    ours[index].append(try await load.sample(setting.arguments, url: gateway, cpu: gatewayCPU))
                }
                ratios[index].append(ours[index][round].requestsPerSecond / max(theirs[index][round].requestsPerSecond, 1))
            }
            http1.append(try await load.sample(http1Arguments, url: gateway, cpu: gatewayCPU))
            http1Ratios.append(http1[round].requestsPerSecond / max(ours[0][round].requestsPerSecond, 1))
        }
        // Server CPU per request (user + system) beside req/s: on a shared host req/s wanders
        // with the load, CPU time per request much less.
        for (index, setting) in settings.enumerated() {
            let rounds = ratios[index].map(Self.ratio).joined(separator: ", ")
            let cpuRatio = median(ours[index].map(\.cpuMicrosecondsPerRequest))
                / max(median(theirs[index].map(\.cpuMicrosecondsPerRequest)), 1e-9)
            print("h2load \(setting.name): gateway \(Self.summary(ours[index])), nghttpd \(Self.summary(theirs[index]))")
            print("  median req/s gateway / nghttpd \(Self.ratio(median(ratios[index])))× (rounds: \(rounds)); CPU per request gateway / nghttpd \(Self.ratio(cpuRatio))×")
            // Many streams keep both sides busy, so CPU sets the rate; one stream waits on the round trip.
            if index == 0 { print("  \(Self.budget(reference: theirs[index]))") }
        }
        print("h2load --h1 -n\(self.requests) -c16 (HTTP/1.1, no pipelining): gateway \(Self.summary(http1))")
        print("  median req/s HTTP/1.1 / HTTP/2 (-c16 -m32) \(Self.ratio(median(http1Ratios)))×")
    }

    private static func summary(_ samples: [Sample]) -> String {
        let rate = median(samples.map(\.requestsPerSecond))
        let cpu = median(samples.map(\.cpuMicrosecondsPerRequest))
        return "\(Int(rate.rounded())) req/s, \(String(format: "%.1f", cpu)) µs CPU/req"
    }

    private static func ratio(_ value: Double) -> String { String(format: "%.2f", value) }

    /// The server CPU per request that nghttpd's rate leaves on this host once h2load has
    /// taken its share: client and server share the cores, so a server that matches nghttpd's
    /// req/s can spend at most cores / rate − h2load's CPU per request.
    private static func budget(reference: [Sample]) -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let rate = median(reference.map(\.requestsPerSecond))
        let client = median(reference.map(\.clientMicrosecondsPerRequest))
        let budget = Double(cores) * 1e6 / max(rate, 1) - client
        return "h2load's own CPU at nghttpd's rate \(String(format: "%.1f", client)) µs/req; to match nghttpd's req/s on \(cores) cores a server may spend at most \(String(format: "%.1f", budget)) µs CPU/req"
    }
}

struct BenchHTTPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One h2load run's rate, and the server's and h2load's CPU time per request over it.
private struct Sample {
    var requestsPerSecond: Double
    var cpuMicrosecondsPerRequest: Double
    var clientMicrosecondsPerRequest: Double
}

/// User + system CPU seconds of a process.
enum ProcessCPUTime {
    /// This process: the in-process gateway (h2load is a child, not counted here).
    static func current() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Self.seconds(usage)
    }

    /// Children that have exited and been waited for: each h2load run once it is over.
    static func children() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return Self.seconds(usage)
    }

    private static func seconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Another process, from /proc/PID/stat (utime and stime, fields 14 and 15, in clock ticks).
    static func of(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// One h2load invocation and what its summary says.
struct H2Load {
    struct Result {
        var output: String
        var requests: Int
        var requestsPerSecond: Double
        /// Response body bytes over all requests ("(N) data" of the traffic line).
        var dataBytes: Int
    }

    let executable: String
    let bodyFile: String
    var threads = 1

    /// Runs h2load with the benchmark's POST body; fails unless every request got a 2xx.
    func run(_ arguments: [String], url: String) async throws -> Result {
        // h2load refuses more threads than connections.
        let connections = arguments.first(where: { $0.hasPrefix("-c") }).flatMap { Int($0.dropFirst(2)) } ?? 1
        let all = arguments + ["-t\(min(self.threads, connections))", "-d", self.bodyFile, "-H", "content-type: application/json", url]
        let output = try await ChildProcess.output(of: self.executable, arguments: all, timeout: .seconds(120))
        let lines = output.split(whereSeparator: \.isNewline).map(String.init)
        guard let requested = arguments.first(where: { $0.hasPrefix("-n") }).flatMap({ Int($0.dropFirst(2)) }),
            lines.contains(where: { $0.hasPrefix("status codes: \(requested) 2xx") })
        else {
            throw BenchHTTPError("h2load \(all.joined(separator: " ")): not every request succeeded:\n\(output)")
        }
        var result = Result(output: output, requests: requested, requestsPerSecond: 0, dataBytes: 0)
        for line in lines {
            let parts = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("finished in"), let field = parts.first(where: { $0.hasSuffix(" req/s") }) {
                result.requestsPerSecond = Double(field.dropLast(" req/s".count)) ?? 0
            }
            if line.hasPrefix("traffic:"), let field = parts.first(where: { $0.hasSuffix(") data") }),
                let open = field.lastIndex(of: "("), let close = field.lastIndex(of: ")"),
                let bytes = Int(field[field.index(after: open)..<close])
            {
                result.dataBytes = bytes / requested
            }
        }
        guard result.requestsPerSecond > 0 else {
            throw BenchHTTPError("h2load \(all.joined(separator: " ")): no req/s figure in its output:\n\(output)")
        }
        return result
    }

    /// Runs h2load and measures the server's CPU time (`cpu`, in seconds) around it.
    fileprivate func sample(_ arguments: [String], url: String, cpu: () -> Double) async throws -> Sample {
        let before = cpu()
        let clientBefore = ProcessCPUTime.children()
        let result = try await self.run(arguments, url: url)
        let seconds = cpu() - before
        let client = ProcessCPUTime.children() - clientBefore
        return Sample(
            requestsPerSecond: result.requestsPerSecond, cpuMicrosecondsPerRequest: seconds * 1e6 / Double(result.requests),
            clientMicrosecondsPerRequest: client * 1e6 / Double(result.requests))
    }
}

/// `nghttpd --no-tls` on a free loopback port, serving a directory.
private struct NGHTTPDaemon {
    let process: Process
    let port: Int

    static func start(executable: String, documentRoot: String) async throws -> NGHTTPDaemon {
        let port = try await Self.freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // -a 127.0.0.1: loopback only. Its output goes nowhere, so no pipe stays open behind it.
        process.arguments = ["--no-tls", "-a", "127.0.0.1", "-d", documentRoot, String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let daemon = NGHTTPDaemon(process: process, port: port)
        // Ready once it accepts a connection; give up after 5 s.
        for _ in 0..<50 {
            if !process.isRunning { break }
            if (try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).flatMap { $0.close() }.get()) != nil
            {
                return daemon
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.kill()
        throw BenchHTTPError("nghttpd did not start listening on 127.0.0.1:\(port)")
    }

    /// A port the kernel hands out for a moment's bind; nghttpd takes it right after.
    private static func freeLoopbackPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw BenchHTTPError("no free loopback port") }
        return port
    }

    /// nghttpd does not stop on SIGTERM while serving, so it is killed outright.
    func kill() {
        if self.process.isRunning {
            Glibc.kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
        }
    }
}

/// Runs a program to completion and returns its stdout and stderr; killed after `timeout`.
enum ChildProcess {
    static func output(of executable: String, arguments: [String], timeout: Duration) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let seconds = Double(timeout.components.seconds)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if process.isRunning { process.terminate() }
        }
        // Read on a dispatch thread: the pipe is read to its end (the child exited), off the
        // cooperative pool, which the server's handler tasks share.
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = (try? pipe.fileHandleForReading.readToEnd()) ?? Data()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit else {
            throw BenchHTTPError("\(executable) did not finish within \(Int(seconds)) s:\n\(output)")
        }
        return output
    }
}
