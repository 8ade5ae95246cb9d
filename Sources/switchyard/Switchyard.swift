import ArgumentParser

@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "An LLM inference serving gateway: HTTP/2, continuous batching, simulated H200s.",
        subcommands: [ServeCommand.self, GenerateCommand.self, DevicesCommand.self, SimulateCommand.self, Bench.self]
    )
}
