import Foundation
import LoadGeneration

/// A scenario file: `{"description": "...", "arguments": ["--rate", "20", ...]}`. Relative
/// paths among its arguments are the caller's business (scenarios use repository paths and
/// run from the repository root, as `make loadtest` does).
enum ScenarioFile {
    static func expand(_ arguments: [String]) throws(LoadConfigurationError) -> [String] {
        var expanded: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var path: String?
            if argument == "--scenario" {
                guard index + 1 < arguments.count else { throw LoadConfigurationError("--scenario needs a file") }
                path = arguments[index + 1]
                index += 2
            } else if argument.hasPrefix("--scenario=") {
                path = String(argument.dropFirst("--scenario=".count))
                index += 1
            } else {
                expanded.append(argument)
                index += 1
                continue
            }
            if let path {
                expanded += try Self.arguments(in: path)
            }
        }
        return expanded
    }

    static func arguments(in path: String) throws(LoadConfigurationError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadConfigurationError("--scenario: cannot read '\(path)'")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let arguments = object["arguments"] as? [String]
        else {
            throw LoadConfigurationError("--scenario: '\(path)' is not {\"arguments\": [strings]}")
        }
        guard !arguments.contains("--scenario") else {
            throw LoadConfigurationError("--scenario: '\(path)' may not name another scenario")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return ["--name", name] + arguments
    }
}
