import ArgumentParser
import DecodeKernels
import Foundation
import GatewayAPI
import GatewayCore
import HTTPTransport
import InferenceEngine
import LoadGeneration
import Logging
import NIOCore
import NIOPosix

/// `switchyard bench batching`: continuous batching measured end to end through the real
/// HTTP server, streaming, as a client sees it. Aggregate output tokens/s at each concurrency
/// (ours and llama.cpp's `llama-server` with 16 slots, same GGUF and threads); mean TTFT with
/// a shared system prompt, prefix caching on against off. TTFT is the time to the first SSE
/// chunk that carries text. Rounds alternate the engines so that noise on a shared machine
/// hits both; medians are reported.
struct BenchBatching: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batching",
        abstract: "Continuous batching over HTTP: tok/s by concurrency, prefix-cache TTFT, against llama-server ($LLAMA_CPP_BIN)."
    )

    @Option(help: "A model version directory name under Models/ (smollm2).")
    var model: String = "smollm2"

    @Option(help: "Worker threads, ours and llama-server's (default: all cores).")
    var threads: Int = ThreadPool.onlineCores

    @Option(help: "Output tokens per request (max_tokens).")
    var tokens: Int = 128

    @Option(help: "Concurrency levels, comma-separated, each 1...64 (goals at 16 against 1 and against llama-server).")
    var concurrency: String = "1,4,16,32"

    @Option(help: "Tokens of the shared system prompt for the prefix-cache figure.")
    var sharedPromptTokens: Int = 512

    @Option(help: "Concurrent requests for the prefix-cache figure.")
    var prefixConcurrency: Int = 8

    @Option(help: "Rounds; medians are reported.")
    var repeats: Int = 1

    /// llama-server's parallel slots (issue 4 compares against 16).
    static let referenceSlots = 16
    static let host = "127.0.0.1"
    /// The benchmark measures batching, not admission: every request may wait ten minutes to
    /// start (llama-server ignores the header).
    static let headers = [("x-request-timeout", "600")]

    func validate() throws {
        guard self.threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (1...2048).contains(self.tokens) else { throw ValidationError("--tokens must be 1...2048") }
        guard (16...4096).contains(self.sharedPromptTokens) else { throw ValidationError("--shared-prompt-tokens must be 16...4096") }
        guard (1...64).contains(self.prefixConcurrency) else { throw ValidationError("--prefix-concurrency must be 1...64") }
        guard (1...20).contains(self.repeats) else { throw ValidationError("--repeats must be 1...20") }
        _ = try self.levels()
    }

    func levels() throws -> [Int] {
        try self.concurrency.split(separator: ",").map { text in
            guard let value = Int(text), (1...64).contains(value) else { throw ValidationError("bad concurrency '\(text)' (1...64)") }
            return value
        }
    }

    func run() async throws {
        let levels = try self.levels()
        let directory = "Models/\(self.model)/1"
        let manifest: ModelManifest
        do {
            manifest = try ModelManifest.load(directory: directory)
        } catch {
            throw ValidationError("--model \(self.model): \(error)")
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let maxConcurrency = max(levels.max() ?? 1, self.prefixConcurrency)
        let cached = try await OursUnderTest(
            manifest: manifest, configuration: self.replicaConfiguration(prefixCaching: true, sequences: maxConcurrency))
        let uncached = try await OursUnderTest(
            manifest: manifest, configuration: self.replicaConfiguration(prefixCaching: false, sequences: maxConcurrency))
        do {
            try await self.measure(levels: levels, manifest: manifest, cached: cached, uncached: uncached, group: group)
        } catch {
            await cached.server.shutdown()
            await uncached.server.shutdown()
            throw error
        }
        await cached.server.shutdown()
        await uncached.server.shutdown()
    }

    /// The rounds: our sweep, the shared-prompt pair, llama-server's sweep; then the table.
    func measure(
        levels: [Int], manifest: ModelManifest, cached: OursUnderTest, uncached: OursUnderTest, group: any EventLoopGroup
    ) async throws {
        let system = try self.sharedSystemPrompt(for: cached.replica)

        var executable: String?
        switch LlamaServerProcess.executableFromEnvironment() {
        case .success(let path): executable = path
        case .failure(let problem): print("llama-server reference absent: \(problem); showing only our figures")
        }
        print(
            "model \(manifest.weightsPath), \(self.threads) threads, \(self.tokens) output tokens per request, streaming over HTTP/1.1; "
                + "llama-server: -np \(Self.referenceSlots) -cb -fa on -ctk q8_0 -ctv q8_0; \(self.repeats) rounds (medians)")
        print("load average before: \(BenchRuntime.loadAverage())")
        fflush(nil)

        var ours: [Int: [SweepPoint]] = [:]
        var theirs: [Int: [SweepPoint]] = [:]
        var prefixOn: [Double] = []
        var prefixOff: [Double] = []
        for round in 1...self.repeats {
            for level in levels {
                let point = try await self.sweepPoint(port: cached.port, model: manifest.name, concurrency: level, group: group)
                ours[level, default: []].append(point)
                print("round \(round) ours c\(level): \(point)")
                fflush(nil)
            }
            let on = try await self.sharedPromptTTFT(port: cached.port, model: manifest.name, system: system, group: group)
            let off = try await self.sharedPromptTTFT(port: uncached.port, model: manifest.name, system: system, group: group)
            prefixOn.append(on)
            prefixOff.append(off)
            print("round \(round) shared prompt: mean TTFT caching on \(Self.ms(on)), off \(Self.ms(off))")
            fflush(nil)
            if let path = executable {
                do {
                    let reference = try await LlamaServerProcess(
                        executable: path, model: manifest.weightsPath, threads: self.threads, slots: Self.referenceSlots,
                        contextTokens: Self.referenceSlots * 512, group: group)
                    defer { reference.stop() }
                    for level in levels {
                        let point = try await self.sweepPoint(port: reference.port, model: manifest.name, concurrency: level, group: group)
                        theirs[level, default: []].append(point)
                        print("round \(round) llama-server c\(level): \(point)")
                        fflush(nil)
                    }
                } catch {
                    print("llama-server reference failed: \(error); showing only our figures")
                    executable = nil
                }
            }
            print("load average: \(BenchRuntime.loadAverage())")
        }
        self.printSummary(levels: levels, ours: ours, theirs: theirs, prefixOn: prefixOn, prefixOff: prefixOff)
    }

    func replicaConfiguration(prefixCaching: Bool, sequences: Int) -> LlamaReplica.Configuration {
        var configuration = LlamaReplica.Configuration()
        configuration.threads = self.threads
        configuration.maxSequences = max(sequences, 16)
        configuration.kvTokens = max(16_384, configuration.maxSequences * (self.tokens + 64) + self.sharedPromptTokens * 2)
        configuration.enablePrefixCaching = prefixCaching
        return configuration
    }

    /// English prose repeated until the chat-templated system message reaches the target
    /// token count.
    func sharedSystemPrompt(for replica: LlamaReplica) throws -> String {
        let sentence = "You are the harbour assistant of a small coastal town: you answer questions about tides, ferries, "
            + "weather, moorings and the history of the lighthouse, briefly and accurately. "
        var text = ""
        while try replica.promptTokenCount(.chat([ChatMessage(role: "system", content: text)])) < self.sharedPromptTokens {
            text += sentence
        }
        return text
    }

    /// `concurrency` streamed chat requests at once, each `tokens` long at most.
    func sweepPoint(port: Int, model: String, concurrency: Int, group: any EventLoopGroup) async throws -> SweepPoint {
        let bodies = (0..<concurrency).map { index in
            Self.chatBody(
                model: model, system: nil,
                user: "Write a long story about lighthouse number \(index + 1) and the family who kept it.", maxTokens: self.tokens)
        }
        return try await Self.measureRequests(bodies, port: port, group: group)
    }

    /// Mean TTFT of `prefixConcurrency` requests sharing `system`, after one request that
    /// warms the prefix cache (run on both sides, so that only the cache differs).
    func sharedPromptTTFT(port: Int, model: String, system: String, group: any EventLoopGroup) async throws -> Double {
        let warm = Self.chatBody(model: model, system: system, user: "When is high tide today?", maxTokens: 1)
        _ = try await Self.measureRequests([warm], port: port, group: group)
        let bodies = (0..<self.prefixConcurrency).map { index in
            Self.chatBody(model: model, system: system, user: "Question \(index + 1): which ferry leaves next, and from where?", maxTokens: self.tokens)
        }
        return try await Self.measureRequests(bodies, port: port, group: group).meanTTFT
    }

    static func chatBody(model: String, system: String?, user: String, maxTokens: Int) -> LoadRequest {
        LoadRequest(endpoint: .chat, model: model, prompt: user, maxTokens: maxTokens, system: system)
    }

    /// Sends every request at once, each on a connection of its own, and waits for all; a
    /// non-200 answer fails the benchmark.
    static func measureRequests(_ requests: [LoadRequest], port: Int, group: any EventLoopGroup) async throws -> SweepPoint {
        let client = LoadClient(
            configuration: LoadClientConfiguration(
                host: Self.host, port: port, protocol: .http1, connections: requests.count, requestTimeout: .seconds(900),
                headers: Self.headers.map { (name: $0.0, value: $0.1) }, eventLoopGroup: group))
        let clock = ContinuousClock()
        let started = clock.now
        let results = await withTaskGroup(of: RequestRecord.self) { tasks in
            for request in requests {
                tasks.addTask { await client.send(request) }
            }
            var results: [RequestRecord] = []
            for await result in tasks { results.append(result) }
            return results
        }
        let wall = (clock.now - started) / .seconds(1)
        await client.close()
        if let failed = results.first(where: { $0.status != 200 || !$0.succeeded }) {
            throw ValidationError(
                "a benchmark request was answered \(failed.status.map(String.init) ?? "nothing"): \(failed.errorMessage ?? failed.errorKind ?? "")")
        }
        let ttfts = results.compactMap(\.ttft).sorted()
        let tokens = results.reduce(0) { $0 + $1.outputTokens }
        return SweepPoint(
            requests: results.count, outputTokens: tokens, wallSeconds: wall,
            meanTTFT: ttfts.isEmpty ? 0 : ttfts.reduce(0, +) / Double(ttfts.count),
            p99TTFT: ttfts.isEmpty ? 0 : ttfts[min(ttfts.count - 1, Int((0.99 * Double(ttfts.count)).rounded(.up)) - 1)])
    }

    func printSummary(
        levels: [Int], ours: [Int: [SweepPoint]], theirs: [Int: [SweepPoint]], prefixOn: [Double], prefixOff: [Double]
    ) {
        let base = median(ours[1]?.map(\.tokensPerSecond) ?? [])
        print("concurrency  ours tok/s  vs c1  ours p99 TTFT  llama-server tok/s  p99 TTFT  tok/s ratio  p99 TTFT ratio")
        for level in levels {
            let mine = ours[level] ?? []
            let rate = median(mine.map(\.tokensPerSecond))
            let p99 = median(mine.map(\.p99TTFT))
            var line = BenchRuntime.pad("\(level)", 13) + BenchRuntime.pad(BenchRuntime.rate(rate), 12)
                + BenchRuntime.pad(base > 0 ? String(format: "%.2f×", rate / base) : "-", 7) + BenchRuntime.pad(Self.ms(p99), 15)
            if let other = theirs[level], !other.isEmpty {
                let theirRate = median(other.map(\.tokensPerSecond))
                let theirP99 = median(other.map(\.p99TTFT))
                line += BenchRuntime.pad(BenchRuntime.rate(theirRate), 20) + BenchRuntime.pad(Self.ms(theirP99), 10)
                    + BenchRuntime.pad(String(format: "%.2f×", rate / theirRate), 13) + String(format: "%.2f×", p99 / theirP99)
            }
            print(line)
        }
        if let at16 = ours[16].map({ median($0.map(\.tokensPerSecond)) }), base > 0 {
            let ratio = at16 / base
            print(String(format: "goal c16 / c1 ≥ 4×: %.2f× ", ratio) + (ratio >= 4 ? "(met)" : "(not met)"))
        }
        if let mine = ours[16], let other = theirs[16], !other.isEmpty {
            let rate = median(mine.map(\.tokensPerSecond)) / median(other.map(\.tokensPerSecond))
            let p99 = median(mine.map(\.p99TTFT)) / median(other.map(\.p99TTFT))
            print(
                String(format: "goal vs llama-server at 16: tok/s ≥ 1.5×: %.2f× ", rate) + (rate >= 1.5 ? "(met)" : "(not met)")
                    + String(format: "; p99 TTFT ≤ 0.5×: %.2f× ", p99) + (p99 <= 0.5 ? "(met)" : "(not met)"))
        }
        let on = median(prefixOn)
        let off = median(prefixOff)
        let ratio = on > 0 ? off / on : 0
        print(
            "shared \(self.sharedPromptTokens)-token system prompt, \(self.prefixConcurrency) concurrent: mean TTFT caching off "
                + "\(Self.ms(off)), on \(Self.ms(on)): " + String(format: "%.2f× lower", ratio)
                + (ratio >= 3 ? " (goal ≥ 3×: met)" : " (goal ≥ 3×: not met)"))
        print("load average after: \(BenchRuntime.loadAverage())")
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
}

/// One concurrency level's run as the client saw it.
struct SweepPoint: CustomStringConvertible {
    var requests: Int
    var outputTokens: Int
    var wallSeconds: Double
    var meanTTFT: Double
    var p99TTFT: Double

    var tokensPerSecond: Double { self.wallSeconds > 0 ? Double(self.outputTokens) / self.wallSeconds : 0 }

    var description: String {
        String(
            format: "%d requests, %d output tokens in %.2f s = %.1f tok/s, TTFT mean %.0f ms p99 %.0f ms",
            self.requests, self.outputTokens, self.wallSeconds, self.tokensPerSecond, self.meanTTFT * 1000, self.p99TTFT * 1000)
    }
}

/// Our replica behind our HTTP server on a loopback port.
struct OursUnderTest {
    let replica: LlamaReplica
    let server: HTTPServer
    let port: Int

    init(manifest: ModelManifest, configuration: LlamaReplica.Configuration) async throws {
        let replica = try LlamaReplica(manifest: manifest, configuration: configuration)
        let handler = OpenAIRequestHandler(engines: [replica], logger: Logger(label: "bench.api"))
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: BenchBatching.host, port: 0), handler: handler,
            logger: Logger(label: "bench.server"))
        guard let port = try await server.start().port else { throw ValidationError("the server bound no port") }
        self.replica = replica
        self.server = server
        self.port = port
    }
}
