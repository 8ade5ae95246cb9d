import ArgumentParser
import Foundation
import GatewayAPI
import GatewayTelemetry
import HTTPTransport
import InferenceEngine
import Logging
import NIOCore

/// `switchyard bench telemetry`: output tokens per second through the whole gateway with
/// tracing, the trace store, metrics and JSON access logging on, against the same gateway
/// with them off — two servers over the same engines in one process, alternating rounds
/// (off, on, on, off, …) so both see the same machine. Two workloads: the real model
/// (streamed completions, greedy, tokens counted by the replica) and the echo engine (no
/// model compute, so the HTTP path and the telemetry are all that is measured: the worst case).
struct BenchTelemetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telemetry",
        abstract: "Output tokens/s with tracing, metrics and logging on vs off, side by side.")

    @Option(help: "Rounds; each runs both servers (medians are reported).")
    var rounds = 3

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
        guard (1...15).contains(self.rounds) else { throw ValidationError("--rounds must be 1…15") }
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
            try await self.compare(root: root, ports: (offPort, onPort), replica: replica)
        } catch {
            await off.shutdown()
            await on.shutdown()
            try? store.close()
            throw error
        }
        await off.shutdown()
        await on.shutdown()
        try store.close()
    }

    private func compare(root: URL, ports: (off: Int, on: Int), replica: LlamaReplica?) async throws {
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
        var echo: (off: [Double], on: [Double]) = ([], [])
        var modelRates: (off: [Double], on: [Double]) = ([], [])
        print("rounds \(self.rounds); echo: \(self.echoRequests) streamed requests of 64 tokens, h2load -c16 -m1"
            + (replica == nil ? "" : "; model: \(self.modelRequests) streamed requests of up to \(self.maxTokens) tokens, -c8"))
        for round in 0..<self.rounds {
            // ABBA order: the first setting of a round alternates.
            let order: [Bool] = round % 2 == 0 ? [false, true] : [true, false]
            for telemetryOn in order {
                let port = telemetryOn ? ports.on : ports.off
                let url = "http://127.0.0.1:\(port)/v1/completions"
                let load = H2Load(executable: self.h2load, bodyFile: echoBody.path)
                let result = try await load.run(["-n\(self.echoRequests)", "-c16", "-m1"], url: url)
                let rate = result.requestsPerSecond * 64
                if telemetryOn { echo.on.append(rate) } else { echo.off.append(rate) }
                if let replica {
                    let modelLoad = H2Load(executable: self.h2load, bodyFile: modelBody.path)
                    let before = replica.statistics.generatedTokens
                    let start = ContinuousClock.now
                    _ = try await modelLoad.run(["-n\(self.modelRequests)", "-c8", "-m1"], url: url)
                    let elapsed = ContinuousClock.now - start
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    let tokens = replica.statistics.generatedTokens - before
                    let rate = Double(tokens) / max(seconds, 1e-9)
                    if telemetryOn { modelRates.on.append(rate) } else { modelRates.off.append(rate) }
                }
            }
        }
        print("workload       off tok/s    on tok/s   change")
        print(Self.row("echo", echo))
        if replica != nil { print(Self.row("model", modelRates)) }
        print("rounds (off/on): echo \(Self.list(echo.off)) / \(Self.list(echo.on))"
            + (replica == nil ? "" : "; model \(Self.list(modelRates.off)) / \(Self.list(modelRates.on))"))
    }

    private static func row(_ name: String, _ rates: (off: [Double], on: [Double])) -> String {
        let off = median(rates.off)
        let on = median(rates.on)
        let change = off > 0 ? (on - off) / off * 100 : 0
        return name.padding(toLength: 12, withPad: " ", startingAt: 0)
            + String(format: "%11.1f %11.1f %+8.2f%%", off, on, change)
    }

    private static func list(_ values: [Double]) -> String {
        values.map { String(format: "%.0f", $0) }.joined(separator: ",")
    }
}
