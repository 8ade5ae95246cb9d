import InferenceEngine
import ReplicaRouting

/// `smollm2` resolves by the traffic weights, `smollm2@2` to that version; `/v1/models`
/// lists the models with a version in traffic.
extension ModelRegistry: ModelResolver {
    public var modelNames: [String] { self.servedModelNames }
    public var servingEngines: [any TextGenerationEngine] { self.loadedReplicas }
}
