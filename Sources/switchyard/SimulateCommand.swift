import ArgumentParser
import DeviceSimulation
import FleetSimulation
import Foundation
import InferenceEngine
import ModelRuntime
import ReplicaRouting

/// `switchyard simulate`: the real scheduler of every replica of a simulated fleet, on a
/// virtual clock, with the cost model as the executor. Prints throughput, latency
/// percentiles, KV usage and goodput; `--sweep` draws latency against throughput as SVG.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a workload over a simulated H200 fleet on a virtual clock (no sleeping, no model).",
        discussion: """
            Example: switchyard simulate --fleet 1x8 --model llama-3.1-70b --weights fp8 --kv fp8 --tp 1 \
            --workload poisson:rate=40,input=2048,output=128,count=10000 --slo ttft=2,tpot=60ms. \
            --workload is poisson:rate=R,input=N,output=N[,count=N|duration=S][,seed=N] or a JSONL \
            trace, one {"arrival_s", "input_tokens", "output_tokens"[, "prefix_id", "priority"]} per line.             `switchyard simulate --fidelity` prints the cost model's fidelity table instead (Docs/SIMULATOR.md).
            """
    )

    @Option(help: "Fleet shape NODESxDEVICES, e.g. 1x1, 1x8, 4x8.")
    var fleet: String = "1x8"

    @Option(help: "Device model: h200 or h100.")
    var device: String = "h200"

    @Option(help: "A catalog profile (\(ModelCatalog.standard.names.joined(separator: ", "))) or a GGUF file.")
    var model: String?

    @Option(help: "Weights of a catalog profile: bf16 or fp8 (a GGUF keeps its own).")
    var weights: String?

    @Option(help: "KV cache format: fp16, fp8 or int8.")
    var kv: String = "fp16"

    @Option(help: "Tensor-parallel degree of each replica (within one node).")
    var tp: Int = 1

    @Option(help: "Replicas to place (default: as many as the fleet holds).")
    var replicas: Int?

    @Option(help: "Share of each device's HBM that may be committed (0, 1].")
    var deviceMemoryUtilization: Double = Fleet.defaultUtilizationLimit

    @Option(help: "KV tokens per replica (default: all the HBM left after weights and reserve).")
    var kvTokens: Int?

    @Option(help: "Most sequences a replica runs at once.")
    var maxNumSeqs: Int = 256

    @Option(help: "Most tokens one iteration runs (chunked prefill budget).")
    var maxBatchedTokens: Int = 8_192

    @Option(help: "Seconds a request may wait to start before admission refuses it.")
    var deadline: Double = 30

    @Option(help: "poisson:rate=R,input=N,output=N[,count=N|duration=S][,seed=N] or a JSONL trace file.")
    var workload: String?

    @Flag(help: "Print the fidelity table (published H100/H200 measurements, predictions, errors) and refit the factors on its fit half.")
    var fidelity = false

    @Option(help: "How arrivals pick a replica, as serve routes: least-outstanding-tokens, power-of-two or prefix-affinity.")
    var routingPolicy: String = RoutingPolicy.leastOutstandingTokens.description

    @Option(help: "Latency objective for goodput, e.g. ttft=0.5,tpot=50ms.")
    var slo: String?

    @Option(help: "Output: text or json.")
    var format: String = "text"

    @Option(help: "Request rates to sweep (comma-separated), with a poisson workload; writes --svg.")
    var sweep: String?

    @Option(help: "Where --sweep writes its latency-throughput curve.")
    var svg: String = "simulate-sweep.svg"

    func run() throws {
        do {
            try self.simulate()
        } catch {
            FileHandle.standardError.write(Data("switchyard simulate: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func simulate() throws(SimulationError) {
        if self.fidelity { return try Self.printFidelity() }
        guard let model = self.model, let workload = self.workload else {
            throw SimulationError("--model and --workload are required (or --fidelity)")
        }
        guard self.format == "text" || self.format == "json" else { throw SimulationError("--format must be text or json") }
        guard (1...1_000_000).contains(self.maxNumSeqs) else { throw SimulationError("--max-num-seqs must be in 1...1000000") }
        guard (16...1_048_576).contains(self.maxBatchedTokens) else {
            throw SimulationError("--max-batched-tokens must be in 16...1048576")
        }
        guard self.deadline.isFinite, self.deadline > 0 else { throw SimulationError("--deadline must be positive") }
        if let replicas = self.replicas, !(1...100_000).contains(replicas) {
            throw SimulationError("--replicas must be in 1...100000")
        }
        if let kvTokens = self.kvTokens, !(16...(1 << 34)).contains(kvTokens) {
            throw SimulationError("--kv-tokens must be in 16...\(1 << 34)")
        }
        var setup = SimulationSetup(
            fleet: try Self.rethrow { () throws(DeviceSimulationError) in try FleetShape(parsing: self.fleet) },
            profile: try self.profile(model))
        setup.device = try Self.rethrow { () throws(DeviceSimulationError) in try DeviceSpec.named(self.device) }
        setup.tensorParallel = self.tp
        setup.replicas = self.replicas
        setup.utilization = self.deviceMemoryUtilization
        setup.kvTokensPerReplica = self.kvTokens
        setup.maxNumSeqs = self.maxNumSeqs
        setup.maxBatchedTokens = self.maxBatchedTokens
        setup.deadline = .seconds(self.deadline)
        guard let policy = RoutingPolicy(parsing: self.routingPolicy) else {
            throw SimulationError("--routing-policy must be least-outstanding-tokens, power-of-two or prefix-affinity, got '\(self.routingPolicy.prefix(40))'")
        }
        setup.routingPolicy = policy
        let slo = try self.slo.map { (text: String) throws(SimulationError) in try ServiceLevelObjective(parsing: text) }
        let simulator = try FleetSimulator(setup: setup)

        guard let sweep = self.sweep else {
            let report = SimulationReport(simulator: simulator, result: simulator.run(try Workload.parse(workload)), slo: slo)
            print(self.format == "json" ? report.json : report.text)
            return
        }
        let rates = sweep.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !rates.isEmpty, rates.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }) else {
            throw SimulationError("--sweep '\(sweep)': expected positive request rates separated by commas, e.g. 1,2,4,8")
        }
        var points: [(rate: Double, report: SimulationReport)] = []
        for rate in rates.compactMap({ $0 }) {
            let result = simulator.run(try Workload.parse(workload, rate: rate))
            points.append((rate, SimulationReport(simulator: simulator, result: result, slo: slo)))
        }
        let curve = LatencyCurve(
            title: "\(setup.profile.label) on \(setup.fleet) × \(setup.device.name), tp\(setup.tensorParallel)", points: points)
        do {
            try curve.svg.write(toFile: self.svg, atomically: true, encoding: .utf8)
        } catch {
            throw SimulationError("--svg \(self.svg): cannot write the file")
        }
        if self.format == "json" {
            print("[" + points.map(\.report.json).joined(separator: ",\n") + "]")
        } else {
            print("rate(req/s)  out tok/s  TTFT p50/p99 (ms)  TPOT p50/p99 (ms)  goodput")
            for (rate, report) in points {
                let goodput = report.goodput.map { String(format: "%.1f%%", $0.fraction * 100) } ?? "-"
                print(
                    String(
                        format: "%11.2f  %9.0f  %8.1f/%-8.1f  %8.1f/%-8.1f  ", rate, report.outputTokensPerSecond,
                        report.ttft.p50 * 1000, report.ttft.p99 * 1000, report.tpot.p50 * 1000, report.tpot.p99 * 1000)
                        + goodput)
            }
            print("wrote \(self.svg)")
        }
    }

    /// The fidelity table under the calibrated factors, then the fit repeated from the priors
    /// on the fit half (it lands on `AchievedFractions.calibrated`).
    private static func printFidelity() throws(SimulationError) {
        let report = try Self.rethrow { () throws(DeviceSimulationError) in try FidelityReport() }
        print(report.markdown)
        let fit = try Self.rethrow { () throws(DeviceSimulationError) in
            try AchievedFractions.fitted(on: FidelityTable.published.filter { $0.half == .fit }, from: .priors)
        }
        print("\nrefitted on the fit half from the priors:")
        for parameter in AchievedFractions.fitParameters {
            print("  \(parameter.name) = \(fit[keyPath: parameter.keyPath]) (calibrated \(AchievedFractions.calibrated[keyPath: parameter.keyPath]))")
        }
    }

    /// A catalog profile by name, or the profile of a GGUF file's metadata.
    private func profile(_ model: String) throws(SimulationError) -> ModelProfile {
        let kv = try Self.rethrow { () throws(DeviceSimulationError) -> KVFormat in
            guard let kv = KVFormat(rawValue: self.kv.lowercased()) else {
                throw DeviceSimulationError(.invalidSpecification, "--kv '\(self.kv)': expected fp16, fp8 or int8")
            }
            return kv
        }
        let weights = try self.weights.map { (text: String) throws(SimulationError) -> WeightFormat in
            guard let format = WeightFormat(rawValue: text.lowercased()) else {
                throw SimulationError("--weights '\(text)': expected bf16 or fp8")
            }
            return format
        }
        guard model.lowercased().hasSuffix(".gguf") || FileManager.default.fileExists(atPath: model) else {
            return try Self.rethrow { () throws(DeviceSimulationError) in
                try ModelCatalog.standard.profile(named: model, weights: weights, kv: kv)
            }
        }
        if weights != nil { throw SimulationError("--weights applies to catalog profiles; \(model) keeps its stored format") }
        do {
            let name = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent.lowercased()
            return try ModelProfile(gguf: GGUFFile(path: model), name: name, kvFormat: kv)
        } catch {
            throw SimulationError("--model \(model): \(error)")
        }
    }

    private static func rethrow<T>(_ body: () throws(DeviceSimulationError) -> T) throws(SimulationError) -> T {
        do {
            return try body()
        } catch {
            throw SimulationError(error.message)
        }
    }
}
