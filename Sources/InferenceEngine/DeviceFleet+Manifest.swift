import DeviceSimulation
import ModelRuntime

extension DeviceFleet {
    /// Pins a replica of `manifest`'s model: its profile is derived from the GGUF's metadata
    /// with the KV format and batch budget the replica will run with.
    public func pin(_ name: String, manifest: ModelManifest, configuration: LlamaReplica.Configuration) throws -> ReplicaDevice {
        let profile = try ModelProfile(
            gguf: GGUFFile(path: manifest.weightsPath), name: manifest.name, kvFormat: KVFormat(configuration.kvFormat))
        return try self.pin(name, profile: profile, maxBatchTokens: configuration.maxBatchTokens)
    }
}
