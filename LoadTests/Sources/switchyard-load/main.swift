import ArgumentParser
import Foundation
import LoadGeneration

// `--scenario FILE` is replaced by the file's arguments before parsing, so flags given
// after it override the scenario's (the last value of an option wins).
do {
    let arguments = try ScenarioFile.expand(Array(CommandLine.arguments.dropFirst()))
    let command = try LoadCommand.parse(arguments)
    try await command.run()
} catch let error as LoadConfigurationError {
    FileHandle.standardError.write(Data("switchyard-load: \(error.description)\n".utf8))
    exit(2)
} catch {
    LoadCommand.exit(withError: error)
}
