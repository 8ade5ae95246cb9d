import Foundation
import InferenceEngine

extension ServeCommand {
    /// Makes the engine serving one `--model DIR` (a `Models/NAME/VERSION` directory holding
    /// `manifest.json`). The real-model replica plugs in here, as this one assignment; while
    /// it is nil, `--model` is refused with a one-line message.
    static let modelEngineFactory: (@Sendable (_ directory: String) throws -> any TextGenerationEngine)? = nil

    /// `echo` always, then one engine per `--model` directory.
    static func engines(for modelDirectories: [String]) throws -> [any TextGenerationEngine] {
        var engines: [any TextGenerationEngine] = [EchoEngine()]
        for directory in modelDirectories {
            let manifest = URL(fileURLWithPath: directory).appendingPathComponent("manifest.json").path
            guard FileManager.default.fileExists(atPath: manifest) else {
                throw ServeError("--model \(directory): no manifest.json there (expected a Models/NAME/VERSION directory)")
            }
            guard let factory = Self.modelEngineFactory else {
                throw ServeError("--model \(directory): this build has no real-model engine yet; only the built-in 'echo' model can be served")
            }
            let engine: any TextGenerationEngine
            do {
                engine = try factory(directory)
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
