import ArgumentParser
import Foundation
import GatewayAPI
import GatewayCore
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore

/// `switchyard bench telemetry`: output tokens per second through the whole gateway with
/// tracing, the trace store, metrics and JSON access logging on, against the same gateway
/// with them off — two servers over the same engines in one process, alternating rounds
/// (off, on, on, off, …) so both see the same machine. Besides tokens/s it reports the
/// process's CPU time per output token (getrusage of this process, the store's writes
/// included), which other load on a shared host disturbs far less. Two workloads: the real model
/// (streamed completions, greedy, tokens counted by the replica) and the echo engine (no
/// model compute, so the HTTP path and the telemetry are all that is measured: the worst case).
struct BenchTelemetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telemetry",
        abstract: "Output tokens/s with tracing, metrics and logging on vs off, side by side.")

    @Option(help: "Rounds; each runs both servers, in alternating order (medians and per-round changes are reported).")
    var rounds = 8

    @Option(help: "A model version directory (Models/NAME/VERSION); empty runs the echo workload only.")
    var model = "Models/smollm2/1"

    @Option(help: "Streamed requests per model run (h2load -c8).")
    var modelRequests = 32

    @Option(help: "Tokens each model request generates (max_tokens, greedy).")
    var maxTokens = 32

    @Option(help: "Streamed requests per echo run (h2load -c16).")
    var echoRequests = 4000

    @Option(help: "h2load executable.")
    var h2load = "/usr/bin/h2load"

    func validate() throws {
        guard (1...40).contains(self.rounds) else { throw ValidationError("--rounds must be 1…40") }
        guard (1...10_000).contains(self.modelRequests), (1...200_000).contains(self.echoRequests) else {
            throw ValidationError("--model-requests must be 1…10000 and --echo-requests 1…200000")
        }
        guard (1...512).contains(self.maxTokens) else { throw ValidationError("--max-tokens must be 1…512") }
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: self.h2load) else {
            FileHandle.standardError.write(Data("switchyard bench telemetry: \(self.h2load) is missing; install nghttp2-client\n".utf8))
            throw ExitCode.failure
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-bench-telemetry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }

        var engines: [any TextGenerationEngine] = [EchoEngine()]
        var replica: LlamaReplica?
        if !self.model.isEmpty {
            let loaded = try LlamaReplica(manifest: ModelManifest.load(directory: self.model))
            replica = loaded
            engines.append(loaded)
        }
        var quiet = Logger(label: "switchyard.bench")
        quiet.logLevel = .warning
        let store = try TraceStore(directory: root.appendingPathComponent("data").path)
        let sink = try JSONLogSink.file(root.appendingPathComponent("access.log").path)
        let telemetry = Telemetry(store: store, accessLog: Logger(label: "switchyard.access") { JSONLogHandler(label: $0, sink: sink) })
        let off = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: OpenAIRequestHandler(engines: engines, logger: quiet), logger: quiet)
        let on = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
            handler: OpenAIRequestHandler(engines: engines, logger: quiet, telemetry: telemetry), logger: quiet)
        let offPort = try await off.start().port ?? 0
        let onPort = try await on.start().port ?? 0
        do {
            try await self.compare(root: root, ports: (offPort, onPort), replica: replica, store: store)
        } catch {
            await off.shutdown()
            await on.shutdown()
            try? telemetry.close()
            throw error
        }
        await off.shutdown()
        await on.shutdown()
        try telemetry.close()
    }

    private func compare(root: URL, ports: (off: Int, on: Int), replica: LlamaReplica?, store: TraceStore) async throws {
        let words = (1...64).map { "w\($0)" }.joined(separator: " ")
        let echoBody = root.appendingPathComponent("echo.json")
        try Data(#"{"model":"echo","prompt":"\#(words)","max_tokens":64,"stream":true}"#.utf8).write(to: echoBody)
        let modelBody = root.appendingPathComponent("model.json")
        if let replica {
            try Data(
                #"{"model":"\#(replica.modelName)","prompt":"Once upon a time, in a quiet village by the sea,","max_tokens":\#(self.maxTokens),"temperature":0,"stream":true}"#
                    .utf8
            ).write(to: modelBody)
        }
        var echo = TelemetryComparison()
        var model = TelemetryComparison()
        print("rounds \(self.rounds); echo: \(self.echoRequests) streamed requests of 64 tokens, h2load -c16 -m1"
            + (replica == nil ? "" : "; model: \(self.modelRequests) streamed requests of up to \(self.maxTokens) tokens, -c8"))
        print("load average before: \(BenchRuntime.loadAverage()); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        for round in 0..<self.rounds {
            // Alternating order (off-on, on-off, …): neither setting always runs first.
            let order: [Bool] = round % 2 == 0 ? [false, true] : [true, false]
            for telemetryOn in order {
                let url = "http://127.0.0.1:\(telemetryOn ? ports.on : ports.off)/v1/completions"
                let load = H2Load(executable: self.h2load, bodyFile: echoBody.path)
                let cpu = ProcessCPUTime.current()
                let result = try await load.run(["-n\(self.echoRequests)", "-c16", "-m1"], url: url)
                // The store's batched writes belong to the run that queued them.
                try store.flush()
                let tokens = Double(self.echoRequests * 64)
                echo.add(on: telemetryOn, rate: result.requestsPerSecond * 64, cpuPerToken: (ProcessCPUTime.current() - cpu) / tokens)
                if let replica {
                    let modelLoad = H2Load(executable: self.h2load, bodyFile: modelBody.path)
                    let before = replica.statistics.generatedTokens
                    let start = ContinuousClock.now
                    let cpu = ProcessCPUTime.current()
                    _ = try await modelLoad.run(["-n\(self.modelRequests)", "-c8", "-m1"], url: url)
                    let elapsed = ContinuousClock.now - start
                    try store.flush()
                    let seconds = elapsed.secondsValue
                    let tokens = Double(replica.statistics.generatedTokens - before)
                    model.add(
                        on: telemetryOn, rate: tokens / max(seconds, 1e-9), cpuPerToken: (ProcessCPUTime.current() - cpu) / max(tokens, 1))
                }
            }
        }
        print("load average after: \(BenchRuntime.loadAverage())")
        print(TelemetryComparison.header)
        print(echo.row("echo"))
        if replica != nil { print(model.row("model")) }
        print("per round (off/on tok/s): echo \(echo.rounds)" + (replica == nil ? "" : "; model \(model.rounds)"))
    }
}

/// One workload's runs with telemetry off and on, round by round. Each round runs both
/// settings back to back, so its on/off ratio sees one state of the shared machine: the
/// median of those paired ratios, and their range, say more than a ratio of medians.
struct TelemetryComparison {
    var off: [(rate: Double, cpu: Double)] = []
    var on: [(rate: Double, cpu: Double)] = []

    mutating func add(on telemetryOn: Bool, rate: Double, cpuPerToken: Double) {
        if telemetryOn { self.on.append((rate, cpuPerToken)) } else { self.off.append((rate, cpuPerToken)) }
    }

    static let header =
        "workload    off tok/s   on tok/s  change [paired median, min..max]      off µs/tok  on µs/tok  change [paired median]"

    func row(_ name: String) -> String {
        let rate = Self.paired(self.off.map(\.rate), self.on.map(\.rate))
        let cpu = Self.paired(self.off.map(\.cpu), self.on.map(\.cpu))
        return name.padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(format: "%10.1f %10.1f", median(self.off.map(\.rate)), median(self.on.map(\.rate)))
            + String(format: "  %+6.2f%% [%+6.2f%%, %+.1f..%+.1f%%]", rate.ofMedians, rate.median, rate.min, rate.max)
            + String(format: "  %10.2f %10.2f", median(self.off.map(\.cpu)) * 1e6, median(self.on.map(\.cpu)) * 1e6)
            + String(format: "  %+6.2f%% [%+6.2f%%]", cpu.ofMedians, cpu.median)
    }

    var rounds: String {
        zip(self.off, self.on).map { String(format: "%.0f/%.0f", $0.rate, $1.rate) }.joined(separator: " ")
    }

    /// Percent change on against off: of the medians, and the median, least and most of the
    /// per-round changes.
    static func paired(_ off: [Double], _ on: [Double]) -> (ofMedians: Double, median: Double, min: Double, max: Double) {
        let changes = zip(off, on).map { $0 > 0 ? ($1 - $0) / $0 * 100 : 0 }
        let offMedian = median(off)
        return (
            offMedian > 0 ? (median(on) - offMedian) / offMedian * 100 : 0, median(changes), changes.min() ?? 0,
            changes.max() ?? 0
        )
    }
}
