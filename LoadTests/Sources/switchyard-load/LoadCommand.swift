import ArgumentParser
import Foundation
import HTTPTransport
import LoadGeneration

/// `switchyard-load`: drives a Switchyard gateway (or any OpenAI-compatible server on
/// loopback) and reports what its users would see.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-load",
        abstract: "Load generator for OpenAI-style completion servers: TTFT, ITL, TPOT, E2E, goodput, correctness.",
        discussion: """
            Bounded always: it stops after --requests requests or --duration, whichever comes first.
            Targets loopback only unless --allow-remote. --scenario FILE reads arguments from a
            scenario file (LoadTests/scenarios/*.json); flags after it override the file's.
            --admin-action drives the gateway's admin API mid-run (a hot swap) and checks each
            response's version against the versions in force.
            Exit status: 0 when the run passed its checks, 1 when a check failed, 2 on bad input.
            """
    )

    // MARK: Target

    @Option(help: "Server host (default 127.0.0.1).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 8080
    @Flag(help: "Allow a host that is not loopback.") var allowRemote = false
    @Option(name: .customLong("protocol"), help: "h2 (HTTP/2, prior knowledge) or http1.") var protocolName = "h2"
    @Flag(help: "HTTPS: TLS with ALPN offering --protocol; the certificate is checked against the system's roots.") var tls = false
    @Option(help: "With --tls: trust the certificates in this PEM file instead of the system's roots.") var tlsCa: String?
    @Flag(help: "With --tls: accept any certificate (loopback tests with a throwaway certificate).") var tlsInsecure = false
    @Option(help: "Connections to open (HTTP/2 multiplexes streams on each).") var connections = 1
    @Option(name: .customLong("header"), help: "Extra request header 'name: value'; repeatable.") var headers: [String] = []
    @Option(help: "Per-request timeout (e.g. 60s).") var timeout = "60s"

    // MARK: Arrivals and bounds

    @Option(help: "Closed loop: this many requests in flight (the default, 4).") var concurrency: Int?
    @Option(help: "Open loop: Poisson arrivals at this many requests per second.") var rate: Double?
    @Option(help: "Open loop: arrivals from a JSONL trace ({\"timestamp\": seconds, ...} a line).") var trace: String?
    @Option(help: "Ramp up over this long (closed: workers start in turn; Poisson: rate climbs).") var ramp = "0s"
    @Option(help: "Stop after this many requests.") var requests = 100
    @Option(help: "Stop issuing after this long (e.g. 30s, 2m).") var duration = "60s"
    @Option(help: "Open loop: arrivals beyond this many in flight are recorded as client_overflow.") var maxInflight = 4096

    // MARK: Workload

    @Option(help: "completions or chat.") var endpoint = "completions"
    @Option(help: "Model name to request.") var model = "echo"
    @Flag(help: "Ask for one JSON body instead of a server-sent event stream.") var noStream = false
    @Option(help: "Sampling temperature (0 is greedy, needed by --expect).") var temperature = 0.0
    @Option(help: "Prompt length in words: fixed:N, uniform:A-B, normal:MEAN,SD, file:PATH.") var inputLen = "fixed:32"
    @Option(help: "max_tokens: fixed:N, uniform:A-B, normal:MEAN,SD, file:PATH.") var outputLen = "fixed:32"
    @Option(help: "Words of shared prefix at the start of each synthetic prompt.") var sharedPrefix = 0
    @Option(help: "Distinct shared prefixes (request i uses prefix i % groups).") var prefixGroups = 1
    @Option(help: "Prompts from a file: JSONL {\"prompt\": ..., \"max_tokens\": ...} or plain lines.") var dataset: String?
    @Option(help: "Seed for prompts, lengths and arrivals.") var seed: UInt64 = 1

    // MARK: Correctness and reports

    @Option(help: "Expected texts (JSONL {\"index\"|\"prompt\": ..., \"text\": ...}); mismatches are counted.") var expect: String?
    @Option(help: "Write each response's text as JSONL for a later --expect.") var writeExpect: String?
    @Option(help: "Goodput targets, e.g. ttft=500ms,tpot=50ms.") var slo: String?
    @Option(help: "Write the report as JSON here.") var json: String?
    @Option(help: "Write a self-contained HTML report here.") var html: String?
    @Option(help: "A name for the run in the reports (scenario files set it).") var name = "adhoc"
    @Flag(help: "No live progress line.") var quiet = false

    // MARK: Admin actions (a model swap under load)

    @Option(name: .customLong("admin-action"), help: "An admin API call at a time into the run: 'AT ACTION MODEL[@VERSION] [weight=W] [replicas=N]' (load, validate, canary, promote, retire, rollback); repeatable. The run fails when one fails or a response comes from a version not in force.") var adminActions: [String] = []
    @Option(help: "The admin API's port on --host (for --admin-action).") var adminPort: Int?
    @Option(help: "File holding the admin bearer token, else $SWITCHYARD_ADMIN_TOKEN wins (as `switchyard models` reads it).") var adminTokenFile: String?

    // MARK: Checks (exit status 1 when one fails)

    @Option(help: "Fail when more requests than this failed.") var maxFailed: Int?
    @Option(name: .customLong("require-error"), help: "Fail unless this error kind occurred (e.g. http_429); repeatable.") var requiredErrors: [String] = []
    @Option(name: .customLong("allow-error"), help: "Only these error kinds may occur; repeatable.") var allowedErrors: [String] = []
    @Option(help: "Fail when more responses than this differ from --expect.") var maxMismatches: Int?
    @Option(help: "Fail unless at least this many requests succeeded.") var minSucceeded: Int?

    func run() async throws {
        do {
            let plan = try self.makePlan()
            let passed = try await plan.execute()
            if !passed { throw ExitCode(1) }
        } catch let error as LoadConfigurationError {
            FileHandle.standardError.write(Data("switchyard-load: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
