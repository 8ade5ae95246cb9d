import InferenceEngine

/// Where the API finds the engine for a request's `model`: a fixed table, or the model
/// registry (which picks a version by its traffic weights on every call).
public protocol ModelResolver: Sendable {
    /// The engine for `name`, or nil for an unknown model (404). Its `modelName` is what the
    /// response's `model` field says, its `modelVersion` the version header.
    func engine(for name: String) -> (any TextGenerationEngine)?
    /// Names listed by `/v1/models`.
    var modelNames: [String] { get }
    /// Every engine serving now, each replica on its own: what metrics and `/ui` report on.
    var servingEngines: [any TextGenerationEngine] { get }
}

/// Engines by model name; when two share a name, the first is served.
struct EngineTable: ModelResolver {
    let engines: [String: any TextGenerationEngine]
    let modelNames: [String]

    init(_ engines: [any TextGenerationEngine]) {
        var table: [String: any TextGenerationEngine] = [:]
        var names: [String] = []
        for engine in engines where table[engine.modelName] == nil {
            table[engine.modelName] = engine
            names.append(engine.modelName)
        }
        self.engines = table
        self.modelNames = names
    }

    func engine(for name: String) -> (any TextGenerationEngine)? { self.engines[name] }

    var servingEngines: [any TextGenerationEngine] { self.modelNames.compactMap { self.engines[$0] } }
}

/// Registry models first; names the registry does not serve fall through to the table
/// (`echo`, fixed engines).
public struct RoutedModels: ModelResolver {
    let primary: any ModelResolver
    let fallback: any ModelResolver

    public init(_ primary: any ModelResolver, fallback engines: [any TextGenerationEngine]) {
        self.primary = primary
        self.fallback = EngineTable(engines)
    }

    public func engine(for name: String) -> (any TextGenerationEngine)? {
        self.primary.engine(for: name) ?? self.fallback.engine(for: name)
    }

    public var servingEngines: [any TextGenerationEngine] {
        self.primary.servingEngines + self.fallback.servingEngines
    }

    public var modelNames: [String] {
        let routed = self.primary.modelNames
        return routed + self.fallback.modelNames.filter { !routed.contains($0) }
    }
}
