import DecodeKernels
import DeviceSimulation
import ModelRuntime

extension DeviceFleet {
    /// Pins a replica of `manifest`'s model: its profile is derived from the GGUF's metadata
    /// with the KV format and batch budget the replica will run with, over the manifest's
    /// tensor-parallel degree (else the configuration's). The ledger reserves the KV the
    /// replica's CPU pool will hold: all its devices have left, capped by what the host budget
    /// buys, so the ledger shows what is really placed and other replicas keep the rest.
    public func pin(_ name: String, manifest: ModelManifest, configuration: LlamaReplica.Configuration) throws -> ReplicaDevice {
        let profile = try ModelProfile(
            gguf: GGUFFile(path: manifest.weightsPath), name: manifest.name, kvFormat: KVFormat(configuration.kvFormat))
        let hostBytesPerToken = configuration.kvFormat.hostBytesPerToken(
            layers: profile.layers, kvHeads: profile.kvHeads, headSize: profile.headSize)
        return try self.pin(
            name, profile: profile, tensorParallel: manifest.tensorParallel ?? configuration.tensorParallel,
            kvTokenLimit: max(configuration.hostKVBudgetBytes, 0) / max(hostBytesPerToken, 1),
            maxBatchTokens: configuration.maxBatchTokens)
    }
}

extension KVCacheFormat {
    /// Bytes one token's keys and values take in the CPU cache: every layer and KV head, as
    /// the cache lays them out (scales and each block's key anchor included).
    public func hostBytesPerToken(layers: Int, kvHeads: Int, headSize: Int) -> Int {
        layers * kvHeads * self.bytesPerTokenPerHead(headDim: headSize)
    }
}
