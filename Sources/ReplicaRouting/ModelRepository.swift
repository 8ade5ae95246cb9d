import Foundation
import InferenceEngine

/// The model repository: `ROOT/NAME/VERSION/manifest.json` beside (or pointing to) the
/// weights. Reading a manifest checks that its weights exist and match its sha256.
public struct ModelRepository: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Model names: the directories under the root.
    public func models() -> [String] {
        Self.subdirectories(of: self.root)
    }

    /// A model's versions: its directories that hold a manifest.
    public func versions(of model: String) -> [String] {
        let directory = URL(fileURLWithPath: self.root).appendingPathComponent(model).path
        return Self.subdirectories(of: directory).filter {
            FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent($0).appendingPathComponent("manifest.json").path)
        }
    }

    public func directory(model: String, version: String) -> String {
        URL(fileURLWithPath: self.root).appendingPathComponent(model).appendingPathComponent(version).path
    }

    /// The version's manifest, its weights present and (unless the manifest gives no
    /// digest) matching its sha256. Every problem is a one-line `unusableFiles` error; an
    /// absent directory is `notFound`.
    public func manifest(model: String, version: String) throws(RegistryError) -> ModelManifest {
        guard Self.isPlainName(model), Self.isPlainName(version) else {
            throw RegistryError(.notFound, "no model version \(model)@\(version)")
        }
        let directory = self.directory(model: model, version: version)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RegistryError(.notFound, "no model version \(model)@\(version) in \(self.root)")
        }
        let manifest: ModelManifest
        do {
            manifest = try ModelManifest.load(directory: directory)
        } catch {
            throw RegistryError(.unusableFiles, "\(error)")
        }
        guard manifest.name == model, manifest.version == version else {
            throw RegistryError(
                .unusableFiles, "\(directory)/manifest.json names \(manifest.name)@\(manifest.version), not \(model)@\(version)")
        }
        let expected = manifest.sha256.lowercased()
        if !expected.isEmpty {
            guard let actual = SHA256.digest(ofFileAt: manifest.weightsPath) else {
                throw RegistryError(.unusableFiles, "cannot read weights file \(manifest.weightsPath)")
            }
            guard actual == expected else {
                throw RegistryError(
                    .unusableFiles, "sha256 mismatch for \(manifest.weightsPath): manifest says \(expected), file is \(actual)")
            }
        }
        return manifest
    }

    /// Names that stay inside the repository: no separators, no dot-dot.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    private static func subdirectories(of path: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            let full = URL(fileURLWithPath: path).appendingPathComponent(name).path
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }
}
