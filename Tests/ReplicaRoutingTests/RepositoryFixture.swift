import Foundation
import InferenceEngine
import ReplicaRouting

/// A model repository in a temporary directory: `NAME/VERSION/manifest.json` over a small
/// weights file, optional golden prompts.
struct RepositoryFixture {
    let root: String

    init() throws {
        self.root = FileManager.default.temporaryDirectory.appendingPathComponent("routing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
    }

    var repository: ModelRepository { ModelRepository(root: self.root) }
    var databasePath: String { self.root + "/registry.sqlite" }

    /// Writes a version; `sha256` nil writes the true digest of the weights, "" none.
    func add(
        model: String = "smollm2", version: String, weights: String = "weights-v1", sha256: String? = nil,
        golden: String? = nil, replicas: Int = 2, writeWeights: Bool = true
    ) throws {
        let directory = self.root + "/\(model)/\(version)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let weightsPath = directory + "/weights.gguf"
        if writeWeights { try Data(weights.utf8).write(to: URL(fileURLWithPath: weightsPath)) }
        let digest = sha256 ?? Self.sha256(of: weights)
        let manifest = """
            {"name": "\(model)", "version": "\(version)", "architecture": "llama", "format": "gguf",
             "quantization": "Q4_1", "weights": "weights.gguf", "sha256": "\(digest)",
             "source": {"pypi": "none", "member": "none"}, "license": "test", "chat_template": "chatml",
             "replicas": \(replicas)\(golden.map { ", \"golden_prompts\": \($0)" } ?? "")}
            """
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
    }

    /// Known digests of the weights strings the tests write (computed with sha256sum).
    static func sha256(of text: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.root)
    }
}
