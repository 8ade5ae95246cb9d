import ArgumentParser
import DecodeKernels
import Foundation
import ModelRuntime

/// `switchyard bench runtime`: decode tokens/s of our runtime against llama.cpp on the same
/// GGUF and thread count, at batch 1 and aggregated over 16 sequences decoding together.
/// Both sides decode after a 128-token prompt with 8-bit KV (our int8, llama.cpp's q8_0), and
/// the repeats alternate ours and theirs so that noise on a shared machine hits both.
struct BenchRuntime: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Decode tokens/s against llama.cpp (llama-bench, llama-batched-bench from $LLAMA_CPP_BIN)."
    )

    @Option(help: "A model name under Models/ (smollm2) or the path of a .gguf file.")
    var model: String = "smollm2"

    @Option(help: "Worker threads, ours and llama.cpp's (default: all cores).")
    var threads: Int = ThreadPool.onlineCores

    @Option(help: "Decode steps timed per run.")
    var tokens: Int = 64

    @Option(help: "Runs per figure, ours and llama.cpp's alternating; medians are reported.")
    var repeats: Int = 3

    @Option(help: "Batch sizes, comma-separated, each 1...64 (goals exist for 1 and 16).")
    var batches: String = "1,16"

    @Flag(help: "Time our decode steps with the process's CPU clock instead of the wall clock: with --threads 1 it leaves out the time other processes take the core (a busy shared machine); with more threads the workers' spinning counts too. llama.cpp's figures stay wall clock.")
    var cpuTime = false

    /// Prompt tokens before the timed decode steps, as llama-batched-bench's PP.
    static let promptLength = 128
    /// Goals from issue 2: ours / llama.cpp decode tokens/s at batch 1 and at batch 16.
    static let goals: [Int: Double] = [1: 1.0, 16: 1.5]

    func validate() throws {
        guard self.threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard (1...4096).contains(self.tokens) else { throw ValidationError("--tokens must be 1...4096") }
        guard (1...100).contains(self.repeats) else { throw ValidationError("--repeats must be 1...100") }
        _ = try self.batchSizes()
    }

    func batchSizes() throws -> [Int] {
        try self.batches.split(separator: ",").map { text in
            guard let value = Int(text), (1...64).contains(value) else { throw ValidationError("bad batch size '\(text)' (1...64)") }
            return value
        }
    }

    func run() async throws {
        let path = try GenerateCommand.resolveModelPath(self.model)
        let batchSizes = try self.batchSizes()
        let runner: DecodeRunner
        do {
            runner = try DecodeRunner(
                path: path, threads: self.threads, promptLength: Self.promptLength, maxBatch: batchSizes.max() ?? 1)
        } catch let error as ModelRuntimeError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var reference: LlamaCppReference?
        switch LlamaCppReference.fromEnvironment() {
        case .success(let found): reference = found
        case .failure(let problem): print("llama.cpp reference absent: \(problem); showing only our figures")
        }
        let cacheType = "q8_0"  // llama.cpp's 8-bit KV, the counterpart of our default int8
        print("model \(path), \(self.threads) threads, prompt \(Self.promptLength) tokens, \(self.tokens) decode steps, KV \(KVCacheFormat.defaultFormat.rawValue) (llama.cpp \(cacheType)), \(self.repeats) repeats (medians)")
        print("load average before: \(Self.loadAverage())\(self.cpuTime ? "; ours timed on the process CPU clock" : "")")
        fflush(nil)

        var ours: [Int: [Double]] = [:]
        var theirs: [Int: [Double]] = [:]
        for round in 1...self.repeats {
            var line = "round \(round):"
            for batch in batchSizes {
                let rate = try runner.decodeTokensPerSecond(batch: batch, steps: self.tokens, cpuTime: self.cpuTime)
                ours[batch, default: []].append(rate)
                line += " ours b\(batch) \(Self.rate(rate))"
                guard let tool = reference else { continue }
                do {
                    let theirRate = batch == 1
                        ? try tool.batchOneTokensPerSecond(
                            model: path, threads: self.threads, tokens: self.tokens, depth: Self.promptLength, cacheType: cacheType)
                        : try tool.batchedTokensPerSecond(
                            model: path, threads: self.threads, tokens: self.tokens, promptLength: Self.promptLength,
                            batch: batch, cacheType: cacheType)
                    theirs[batch, default: []].append(theirRate)
                    line += ", llama.cpp \(Self.rate(theirRate));"
                } catch {
                    print("llama.cpp reference failed: \(error); showing only our figures")
                    reference = nil
                }
            }
            print(line + " load \(Self.loadAverage())")
            fflush(nil)
        }

        print("batch  ours tok/s  llama.cpp tok/s  ratio  goal")
        for batch in batchSizes {
            let mine = Self.median(ours[batch] ?? [])
            let goal = Self.goals[batch].map { String(format: "≥ %.1f×", $0) } ?? "-"
            if let other = theirs[batch], other.count == ours[batch]?.count {
                let reference = Self.median(other)
                let ratio = mine / reference
                let verdict = Self.goals[batch].map { ratio >= $0 ? " (met)" : " (not met)" } ?? ""
                print(Self.pad("\(batch)", 7) + Self.pad(Self.rate(mine), 12) + Self.pad(Self.rate(reference), 17)
                    + Self.pad(String(format: "%.2f×", ratio), 7) + goal + verdict)
            } else {
                print(Self.pad("\(batch)", 7) + Self.pad(Self.rate(mine), 12) + Self.pad("-", 17) + Self.pad("-", 7) + goal)
            }
        }
        print("load average after: \(Self.loadAverage())")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func rate(_ value: Double) -> String { String(format: "%.1f", value) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// The 1, 5 and 15-minute load averages, as `uptime` prints them (the machine may be shared).
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: ", ")
    }
}

/// Our side of the benchmark: the model, a context and a tokenized prompt, and a decode run
/// of any batch size on a fresh cache.
struct DecodeRunner {
    let context: LlamaContext
    let prompt: [Int32]

    /// English text (this file's own prose, not model output) tokenized and cut or repeated to
    /// `promptLength` tokens.
    init(path: String, threads: Int, promptLength: Int, maxBatch: Int) throws {
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(gguf: file)
        let text = """
            The benchmark decodes after a prompt of ordinary English so that the attention reads \
            a realistic amount of cache. Each sequence in the batch starts from the same words, \
            shifted by a few tokens, and then chooses its next token greedily from the logits. \
            The runtime and the reference read the same weights from the same file on the same \
            number of threads.
            """
        var tokens: [Int32] = []
        let piece = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        guard !piece.isEmpty else { throw ModelRuntimeError("bench", "the prompt text encodes to no tokens") }
        while tokens.count < promptLength { tokens.append(contentsOf: piece) }
        self.prompt = Array(tokens.prefix(promptLength))
        self.context = LlamaContext(
            model: model, maxBatchTokens: max(promptLength, maxBatch), pool: ThreadPool(threadCount: threads))
    }

    /// Prefills `batch` sequences (one forward pass each), then times `steps` greedy decode
    /// steps, each ONE forward pass over one token of every sequence, and returns the
    /// aggregate decode tokens/s (batch × steps / time). Each call uses a fresh cache of the
    /// default KV format.
    func decodeTokensPerSecond(batch: Int, steps: Int, cpuTime: Bool = false) throws -> Double {
        let blocksPerSequence = (self.prompt.count + steps + PagedKVCache.tokensPerBlock - 1) / PagedKVCache.tokensPerBlock
        let cache = try self.context.makeCache(blockCount: blocksPerSequence * batch, format: .defaultFormat)
        var blocks = try KVBlockPool(blockCount: blocksPerSequence * batch)
        var tables = [BlockTable](repeating: BlockTable(), count: batch)
        var samplers = try (0..<batch).map { _ in try Sampler(configuration: SamplerConfiguration(temperature: 0)) }
        var next: [Int32] = []
        for sequence in 0..<batch {
            let shift = sequence % self.prompt.count
            let tokens = Array(self.prompt[shift...] + self.prompt[..<shift])
            _ = try blocks.append(tokens: tokens.count, to: &tables[sequence])
            let logits = try self.context.forward(
                [LlamaBatchEntry(tokens: tokens, startPosition: 0, blockTable: tables[sequence].blocks)], cache: cache)
            next.append(samplers[sequence].sample(logits: logits[0]).id)
        }
        var entries: [LlamaBatchEntry] = []
        entries.reserveCapacity(batch)
        let start = Self.seconds(cpuTime: cpuTime)
        for _ in 0..<steps {
            entries.removeAll(keepingCapacity: true)
            for sequence in 0..<batch {
                let position = tables[sequence].tokenCount
                // No table is forked, so appending never asks for a copy-on-write.
                _ = try blocks.append(tokens: 1, to: &tables[sequence])
                entries.append(
                    LlamaBatchEntry(tokens: [next[sequence]], startPosition: position, blockTable: tables[sequence].blocks))
            }
            let logits = try self.context.forward(entries, cache: cache)
            for sequence in 0..<batch {
                next[sequence] = samplers[sequence].sample(logits: logits[sequence]).id
            }
        }
        return Double(batch * steps) / (Self.seconds(cpuTime: cpuTime) - start)
    }

    /// Seconds on the monotonic clock, or on the process's CPU clock.
    static func seconds(cpuTime: Bool) -> Double {
        var time = timespec()
        clock_gettime(cpuTime ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
