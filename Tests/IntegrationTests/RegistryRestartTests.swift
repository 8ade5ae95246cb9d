import Foundation
import TestSupport
import Testing

/// `switchyard serve` with the registry and `switchyard models` as its client: the CLI finds
/// the generated token in the data directory, changes the desired state, and a restarted
/// server restores it from SQLite.
@Suite(.serialized) struct RegistryRestartTests {
    @Test func aRestartRestoresTheDesiredStateSetThroughTheCLI() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let models = directory + "/models"
        for version in ["1", "2"] {
            let target = models + "/smollm2/\(version)"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: RegistryFixture.realDirectory + "/manifest.json"))
            var manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            manifest["version"] = version
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: target + "/manifest.json"))
            let real = URL(fileURLWithPath: RegistryFixture.realDirectory + "/SmolLM2-135M-Instruct.Q4_1.gguf").resolvingSymlinksInPath().path
            try FileManager.default.createSymbolicLink(atPath: target + "/SmolLM2-135M-Instruct.Q4_1.gguf", withDestinationPath: real)
        }
        // Starts the server (extra flags in $3), waits for both lines, runs the CLI steps in
        // $4, stops the server; prints everything with markers.
        let script = """
            set -e
            bin="$0"; dir="$1"; data="$dir/data"; models="$dir/models"
            start() {
                env -u SWITCHYARD_ADMIN_TOKEN "$bin" serve --port 0 --admin-port 0 --data-dir "$data" --models-dir "$models" "$@" > "$dir/out" 2> "$dir/err" &
                pid=$!
                for i in $(seq 600); do grep -q "admin API on" "$dir/err" && grep -q listening "$dir/out" && break; sleep 0.1; done
                admin=$(grep -o 'admin API on http://[0-9.:]*' "$dir/err" | sed 's/admin API on //')
            }
            cli() { env -u SWITCHYARD_ADMIN_TOKEN "$bin" models "$@" --admin-url "$admin" --data-dir "$data"; }
            start --model "$models/smollm2/1"
            echo "mode=$(stat -c %a "$data/admin-token")"
            cli load smollm2@2 --replicas 1
            cli validate smollm2@2
            cli canary smollm2@2 --weight 0.25
            echo "--- before"
            cli list
            cli promote smollm2@9 2> "$dir/cli-err" || echo "promote-exit=$? $(cat "$dir/cli-err")"
            kill -TERM $pid; wait $pid
            start
            echo "--- after"
            cli list
            cli audit --model smollm2 | grep -c restore | sed 's/^/restored=/'
            kill -TERM $pid; wait $pid
            """
        let binary = ServeCommandTests.binary
        let result = try await ProcessRunner.run("/bin/bash", ["-c", script, binary, directory], timeoutSeconds: 300)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("mode=600"))
        let after = try #require(out.components(separatedBy: "--- after").last)
        #expect(after.contains("smollm2@1  stable  weight 0.75"), "\(out)")
        #expect(after.contains("smollm2@2  canary  weight 0.25"), "\(out)")
        #expect(after.contains("restored=2"), "\(out)")
        #expect(after.contains("in the repository: smollm2@1, smollm2@2"), "\(out)")
        #expect(out.contains("promote-exit=1 switchyard: no model version smollm2@9 is loaded (HTTP 404)"), "\(out)")
    }
}
