import DeviceSimulation
import Foundation
import InferenceEngine
import ModelRuntime

extension ServeCommand {
    /// `echo` always, then one engine per `--model` directory (a `Models/NAME/VERSION`
    /// directory holding `manifest.json`): a replica of that model on the CPU, every core.
    /// With a fleet, each replica is pinned to simulated devices first (its profile from the
    /// GGUF's metadata), and its KV pool is the ledger's share capped by the host budget.
    static func engines(
        for modelDirectories: [String], devices: ResolvedServeSettings.DeviceSettings?, fleet: DeviceFleet?
    ) throws -> [any TextGenerationEngine] {
        var engines: [any TextGenerationEngine] = [EchoEngine()]
        for directory in modelDirectories {
            let engine: LlamaReplica
            do {
                let manifest = try ModelManifest.load(directory: directory)
                if engines.contains(where: { $0.modelName == manifest.name }) {
                    throw ServeError("a model named '\(manifest.name)' is already served")
                }
                var configuration = LlamaReplica.Configuration()
                let name = "\(manifest.name)@\(manifest.version)"
                if let devices, let fleet {
                    let profile = try ModelProfile(
                        gguf: GGUFFile(path: manifest.weightsPath), name: manifest.name, kvFormat: KVFormat(configuration.kvFormat))
                    configuration.device = try fleet.pin(name, profile: profile, maxBatchTokens: configuration.maxBatchTokens)
                    configuration.pacing = devices.pacing
                    configuration.hostKVBudgetBytes = devices.hostKVBudgetBytes
                }
                engine = try LlamaReplica(manifest: manifest, configuration: configuration)
                fleet?.attach(name) { [engine] in engine.statistics }
            } catch let error as DeviceSimulationError {
                throw ServeError("--model \(directory): \(error.message)")
            } catch {
                throw ServeError("--model \(directory): \(error)")
            }
            engines.append(engine)
        }
        return engines
    }
}
