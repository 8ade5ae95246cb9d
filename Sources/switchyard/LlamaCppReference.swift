import Foundation

/// llama.cpp's own benchmarks, run as the reference for `bench runtime`: `llama-bench` for
/// batch 1 and `llama-batched-bench` for a batch of sequences decoding together. They are
/// built outside the repository; `LLAMA_CPP_BIN` names the directory that holds them.
struct LlamaCppReference {
    static let environmentVariable = "LLAMA_CPP_BIN"

    let directory: String

    /// The reference named by the environment, or why there is none (one line).
    static func fromEnvironment() -> Result<LlamaCppReference, ReferenceError> {
        guard let directory = ProcessInfo.processInfo.environment[environmentVariable], !directory.isEmpty else {
            return .failure(ReferenceError("\(environmentVariable) is not set (the directory holding llama-bench and llama-batched-bench)"))
        }
        for tool in ["llama-bench", "llama-batched-bench"] where !FileManager.default.isExecutableFile(atPath: directory + "/" + tool) {
            return .failure(ReferenceError("\(environmentVariable)=\(directory) has no executable \(tool)"))
        }
        return .success(LlamaCppReference(directory: directory))
    }

    /// Batch-1 decode tokens/s: `llama-bench` generating `tokens` tokens after a context of
    /// `depth` tokens (as ours decodes after its prompt), one repetition.
    func batchOneTokensPerSecond(model: String, threads: Int, tokens: Int, depth: Int, cacheType: String) throws(ReferenceError) -> Double {
        let output = try self.run(
            "llama-bench",
            ["-m", model, "-t", "\(threads)", "-p", "0", "-n", "\(tokens)", "-d", "\(depth)", "-r", "1",
             "-ctk", cacheType, "-ctv", cacheType, "-o", "json"])
        guard let results = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]],
              let rate = results.first?["avg_ts"] as? Double
        else {
            throw ReferenceError("llama-bench printed no avg_ts in its JSON output")
        }
        return rate
    }

    /// Aggregate decode tokens/s of `batch` sequences, each after a `promptLength`-token
    /// prompt: `llama-batched-bench`'s S_TG for PP=promptLength, TG=tokens, B=batch (read from
    /// its jsonl output, the same figure as its table's column).
    func batchedTokensPerSecond(
        model: String, threads: Int, tokens: Int, promptLength: Int, batch: Int, cacheType: String
    ) throws(ReferenceError) -> Double {
        let output = try self.run(
            "llama-batched-bench",
            ["-m", model, "-t", "\(threads)", "-c", "4096", "-b", "2048", "-ub", "512", "-npp", "\(promptLength)",
             "-ntg", "\(tokens)", "-npl", "1,\(batch)", "-ctk", cacheType, "-ctv", cacheType, "--output-format", "jsonl"])
        for line in output.split(separator: "\n") where line.hasPrefix("{") {
            guard let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if row["pp"] as? Int == promptLength, row["tg"] as? Int == tokens, row["pl"] as? Int == batch,
               let rate = row["speed_tg"] as? Double {
                return rate
            }
        }
        throw ReferenceError("llama-batched-bench printed no row for PP=\(promptLength) TG=\(tokens) B=\(batch)")
    }

    /// Runs one tool to completion and returns its standard output (its log, on standard
    /// error, is dropped).
    private func run(_ tool: String, _ arguments: [String]) throws(ReferenceError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: self.directory + "/" + tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ReferenceError("cannot start \(tool): \(error)")
        }
        // Read to the end before waiting, so a full pipe cannot block the child.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReferenceError("\(tool) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    struct ReferenceError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
