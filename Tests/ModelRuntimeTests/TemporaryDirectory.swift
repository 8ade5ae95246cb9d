import Foundation

/// A fresh directory under the system's temporary directory, removed when the value is
/// released; tests write their GGUF files there.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchyard-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.path = url.path
    }

    func file(_ name: String) -> String { self.path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
