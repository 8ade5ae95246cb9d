import ArgumentParser

/// `switchyard bench`: kernel and runtime benchmarks, each a ratio measured side by side in
/// one run with the absolute figures beside it.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark.",
        subcommands: [BenchAttention.self]
    )
}
