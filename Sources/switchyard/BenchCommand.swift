import ArgumentParser

/// `switchyard bench …`: kernel and runtime benchmarks that report ratios measured side by
/// side in one run, with the absolute figures beside them.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: kernels against the memory system, runtime against llama.cpp, the gateway against nghttpd, batching against llama-server, telemetry on against off.",
        subcommands: [BenchKernels.self, BenchAttention.self, BenchRuntime.self, BenchHTTP.self, BenchBatching.self, BenchRouting.self, BenchTelemetry.self]
    )
}
