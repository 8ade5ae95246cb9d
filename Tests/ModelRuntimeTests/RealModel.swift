/// The default model's weights, found relative to the package root (the Makefile fetches
/// them before tests run, so tests that need them require them rather than skip).
enum RealModel {
    static var packageRoot: String {
        // This file is Tests/ModelRuntimeTests/RealModel.swift under the package root.
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }

    static var path: String { packageRoot + "/Models/smollm2/1/SmolLM2-135M-Instruct.Q4_1.gguf" }
}
