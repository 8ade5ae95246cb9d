import ArgumentParser
import DecodeKernels
import Foundation
import InferenceEngine
import ModelRuntime

/// `switchyard generate`: one completion from a local model, streamed to stdout as it is
/// generated, then the prefill and decode speeds (on stderr, so stdout is the completion).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a completion with a local GGUF model on the CPU."
    )

    @Option(help: "A model name under Models/ (smollm2) or the path of a .gguf file.")
    var model: String = "smollm2"

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt as a user message in the model's chat template.")
    var chat = false

    @Option(name: .customLong("max-tokens"), help: "The most tokens to generate.")
    var maxTokens: Int = 128

    @Option(help: "KV cache format: int8, fp8 or fp16.")
    var kv: String = KVCacheFormat.defaultFormat.rawValue

    @Option(help: "Sampling temperature (0: greedy).")
    var temperature: Float = 0

    @Option(help: "Seed for sampling (same seed, same completion).")
    var seed: UInt64?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard KVCacheFormat(rawValue: self.kv) != nil else {
            throw ValidationError("--kv must be one of \(KVCacheFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard self.maxTokens > 0 else { throw ValidationError("--max-tokens must be at least 1") }
        if let threads = self.threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        do {
            try self.generate()
        } catch let error as ModelRuntimeError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func generate() throws {
        let path = try Self.resolveModelPath(self.model)
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(gguf: file)
        var stopTokenIDs: Set<Int32> = []
        let promptTokens: [Int32]
        if self.chat {
            let template = try ChatTemplate(gguf: file)
            stopTokenIDs.formUnion(try template.stopTokenIDs(in: tokenizer))
            promptTokens = try tokenizer.encode(template.render([.user(self.prompt)]), addSpecial: true)
        } else {
            promptTokens = tokenizer.encode(self.prompt, addSpecial: true, parseSpecial: false)
        }
        let pool = ThreadPool(threadCount: self.threads ?? ThreadPool.onlineCores)
        let context = LlamaContext(model: model, maxBatchTokens: 256, pool: pool)
        // The sequence's cache covers the prompt and the completion, within the context window.
        let sequence = try LlamaSequence(
            context: context, format: KVCacheFormat(rawValue: self.kv) ?? .defaultFormat,
            capacity: promptTokens.count + self.maxTokens)
        let generator = LlamaGenerator(sequence: sequence, endOfSequence: tokenizer.eosTokenID, stopTokenIDs: stopTokenIDs)
        var sampler = try Sampler(
            configuration: SamplerConfiguration(temperature: self.temperature, seed: self.seed, stopTokenIDs: stopTokenIDs),
            promptTokens: promptTokens)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let result = try generator.generate(prompt: promptTokens, maxTokens: self.maxTokens, sampler: &sampler) { token in
            let piece = detokenizer.append(token)
            if !piece.isEmpty {
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
        }
        FileHandle.standardOutput.write(Data((detokenizer.finish() + "\n").utf8))
        let summary = String(
            format: "prefill: %d tokens, %.1f tokens/s; decode: %d tokens, %.1f tokens/s (%@ KV, %d threads, stop: %@)\n",
            result.promptTokenCount, result.prefillTokensPerSecond, result.tokens.count, result.decodeTokensPerSecond,
            self.kv, pool.threadCount, result.stopReason.rawValue)
        FileHandle.standardError.write(Data(summary.utf8))
    }

    /// A model name resolves through `Models/NAME/1/manifest.json` under the current
    /// directory; anything else is a path to a GGUF file.
    static func resolveModelPath(_ model: String) throws -> String {
        let directory = "Models/\(model)/1"
        guard !model.hasSuffix(".gguf"), FileManager.default.fileExists(atPath: directory + "/manifest.json") else {
            return model
        }
        return try ModelManifest.load(directory: directory).weightsPath
    }
}
