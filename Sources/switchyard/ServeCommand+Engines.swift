import Foundation
import InferenceEngine

extension ServeCommand {
    /// `echo` always, then one engine per `--model` directory (a `Models/NAME/VERSION`
    /// directory holding `manifest.json`): a replica of that model on the CPU, every core,
    /// with `configuration`.
    static func engines(
        for modelDirectories: [String], configuration: LlamaReplica.Configuration
    ) throws -> [any TextGenerationEngine] {
        var engines: [any TextGenerationEngine] = [EchoEngine()]
        for directory in modelDirectories {
            let engine: any TextGenerationEngine
            do {
                engine = try LlamaReplica(manifest: ModelManifest.load(directory: directory), configuration: configuration)
            } catch {
                throw ServeError("--model \(directory): \(error)")
            }
            if engines.contains(where: { $0.modelName == engine.modelName }) {
                throw ServeError("--model \(directory): a model named '\(engine.modelName)' is already served")
            }
            engines.append(engine)
        }
        return engines
    }
}
