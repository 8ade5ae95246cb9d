import Foundation
import TestSupport
import Testing

/// The built `switchyard serve` binary: it binds, prints its one line, serves, and exits 0 on
/// SIGTERM; bad settings fail with one line.
@Suite(.serialized) struct ServeCommandTests {
    /// Beside the test bundle in the build directory.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchyard").path
    }

    @Test func servesAndShutsDownOnSIGTERM() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the switchyard product first")
        // The script starts the server, reads its line, asks it something, then sends SIGTERM.
        let script = """
            set -e
            "$0" serve --port 0 --admin-port 0 --data-dir "$1/data" > "$1/out" 2> "$1/err" &
            pid=$!
            for i in $(seq 100); do grep -q listening "$1/out" && break; sleep 0.1; done
            line=$(head -n1 "$1/out")
            port=${line##*:}
            echo "line=$line"
            curl -sS --max-time 10 --http2-prior-knowledge "http://127.0.0.1:$port/health/ready"; echo
            curl -sS --max-time 10 --http1.1 "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' -d '{"model":"echo","prompt":"bin ok"}'; echo
            kill -TERM $pid
            wait $pid
            echo "exit=$?"
            echo "lines=$(wc -l < "$1/out")"
            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await ProcessRunner.run("/bin/bash", ["-c", script, Self.binary, directory.path], timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("line=switchyard listening on http://127.0.0.1:"))
        #expect(result.stdout.contains(#"{"status":"ready"}"#))
        #expect(result.stdout.contains(#""text":"bin ok""#))
        #expect(result.stdout.contains("exit=0"))
        #expect(result.stdout.contains("lines=1"))
    }

    @Test func servesTLSWithALPNFromAConfigFile() async throws {
        // A certificate made here with openssl; the config file names it, a flag sets the port.
        let script = """
            set -e
            cd "$1"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 2> /dev/null
            printf '{"tls-cert": "%s/cert.pem", "tls-key": "%s/key.pem", "admin-port": 0}' "$1" "$1" > serve.json
            "$0" serve --config serve.json --port 0 > out 2> err &
            pid=$!
            for i in $(seq 100); do grep -q listening out && break; sleep 0.1; done
            line=$(head -n1 out)
            port=${line##*:}
            echo "line=$line"
            curl -sS --max-time 10 -k --http2 -w ' version=%{http_version}' "https://127.0.0.1:$port/v1/chat/completions" \
                -H 'content-type: application/json' -d '{"model":"echo","messages":[{"role":"user","content":"over tls"}]}'; echo
            kill -INT $pid
            wait $pid
            echo "exit=$?"
            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await ProcessRunner.run("/bin/bash", ["-c", script, Self.binary, directory.path], timeoutSeconds: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("line=switchyard listening on https://127.0.0.1:"))
        #expect(result.stdout.contains(#""content":"over tls""#))
        #expect(result.stdout.contains("version=2"))
        #expect(result.stdout.contains("exit=0"))
    }

    @Test func refusesBadSettingsWithOneLine() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        let model = directory.appendingPathComponent("Models/tiny/1")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("{}".utf8).write(to: model.appendingPathComponent("manifest.json"))
        let config = directory.appendingPathComponent("serve.json")
        try Data(#"{"port": 0, "prot": 1}"#.utf8).write(to: config)
        let timeoutConfig = directory.appendingPathComponent("timeout.json")
        try Data(#"{"request-timeout": "soon"}"#.utf8).write(to: timeoutConfig)

        let cases: [([String], String)] = [
            (["--model", directory.path], "no such manifest"),
            (["--model", model.path], "missing field 'name'"),
            (["--config", config.path], "unknown setting 'prot'"),
            (["--port", "70000"], "--port must be"),
            (["--port", "9000", "--admin-port", "9000"], "--admin-port must differ"),
            (["--tls-cert", "/nonexistent.pem"], "--tls-cert and --tls-key go together"),
            (["--max-body-bytes", "0"], "--max-body-bytes must be"),
            (["--tensor-parallel", "2"], "--tensor-parallel 2 must be in 1...1"),
            (["--fleet", "1x8", "--tensor-parallel", "16"], "--tensor-parallel 16 must be in 1...8"),
            (["--fleet", "2y8"], "fleet '2y8': expected NODESxDEVICES"),
            (["--fleet", "1x8", "--pace", "fast"], "--pace must be none or simulated"),
            (["--fleet", "1x8", "--device", "a100"], "unknown device 'a100'"),
            (["--fleet", "1x8", "--device-memory-utilization", "1.5"], "--device-memory-utilization must be in (0, 1]"),
            (["--request-timeout", "0"], "--request-timeout must be above 0"),
            (["--request-timeout", "nan"], "--request-timeout must be above 0"),
            (["--request-timeout", "100000"], "--request-timeout must be above 0"),
            (["--config", timeoutConfig.path], "'request-timeout' has the wrong type"),
        ]
        for (arguments, message) in cases {
            let result = try await ProcessRunner.run(
                Self.binary, ["serve", "--data-dir", directory.appendingPathComponent("data").path] + arguments, timeoutSeconds: 20)
            #expect(result.status == 1, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.hasPrefix("switchyard: ") && result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}

/// `serve --fleet` pins the real model's replica to a simulated H200 and paces it.
@Suite struct PinnedServeTests {
    @Test func servesAPinnedPacedReplicaAndShowsItsDevice() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let model = root.appendingPathComponent("Models/smollm2/1").path
        let script = """
            set -e
            "$0" serve --port 0 --admin-port 0 --data-dir "$1/data" --model "$2" --fleet 1x8 --pace simulated --host-kv-budget-mib 16 > "$1/out" 2> "$1/err" &
            pid=$!
            for i in $(seq 300); do grep -q listening "$1/out" && break; sleep 0.1; done
            line=$(head -n1 "$1/out")
            port=${line##*:}
            curl -sS --max-time 60 "http://127.0.0.1:$port/v1/completions" -H 'content-type: application/json' -d '{"model":"smollm2","prompt":"Hello","max_tokens":3}'; echo
            kill -TERM $pid
            wait $pid
            echo "exit=$?"
            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pinned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await ProcessRunner.run(
            "/bin/bash", ["-c", script, ServeCommandTests.binary, directory.path, model], timeoutSeconds: 120)
        let stderr = (try? String(contentsOf: directory.appendingPathComponent("err"), encoding: .utf8)) ?? ""
        #expect(result.status == 0, "\(result.stdout)\(stderr)")
        #expect(result.stdout.contains(#""completion_tokens":3"#), "\(result.stdout)")
        #expect(result.stdout.contains("exit=0"))
        // The devices table names the pinned replica and its device.
        #expect(stderr.contains("smollm2@1#0: smollm2:Q4_1:kv-int8 tp1 on n0/gpu"), "\(stderr)")
    }
}
