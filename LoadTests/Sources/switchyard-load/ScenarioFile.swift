import Foundation
import LoadGeneration

/// A scenario file: `{"description": "...", "arguments": ["--rate", "20", ...]}`, and for a
/// swap under load `"actions": [{"at_s": 5, "action": "load", "model": "smollm2", "version": "2"}, ...]`
/// (each becomes an `--admin-action`; `serve` and `repository` are run-scenario.sh's). Relative
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
        var actions: [String] = []
        if let list = object["actions"] {
            guard let list = list as? [[String: Any]] else {
                throw LoadConfigurationError("--scenario: '\(path)': \"actions\" is not a list of objects")
            }
            for (index, action) in list.enumerated() {
                actions += ["--admin-action", try Self.actionText(action, path: path, index: index)]
            }
        }
        return ["--name", name] + arguments + actions
    }

    /// `{"at_s": 5, "action": "canary", "model": "smollm2", "version": "2", "weight": 0.1}`
    /// as `--admin-action` writes it (`5s canary smollm2@2 weight=0.1`); the option checks the rest.
    static func actionText(_ object: [String: Any], path: String, index: Int) throws(LoadConfigurationError) -> String {
        let fail = { (problem: String) in LoadConfigurationError("--scenario: '\(path)': action \(index + 1): \(problem)") }
        let known: Set = ["at_s", "action", "model", "version", "weight", "replicas"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unknown key '\(unknown)' (\(known.sorted().joined(separator: ", ")))")
        }
        guard let at = (object["at_s"] as? NSNumber)?.doubleValue else { throw fail("\"at_s\" must be a number of seconds") }
        guard let action = object["action"] as? String else { throw fail("\"action\" must be a string") }
        guard let model = object["model"] as? String else { throw fail("\"model\" must be a string") }
        var words = ["\(at)s", action, model]
        switch object["version"] {
        case nil: break
        case let version as String: words[2] += "@\(version)"
        case let version as NSNumber: words[2] += "@\(version.stringValue)"
        default: throw fail("\"version\" must be a string")
        }
        for key in ["weight", "replicas"] {
            guard let value = object[key] else { continue }
            guard let number = value as? NSNumber else { throw fail("\"\(key)\" must be a number") }
            words.append("\(key)=\(number)")
        }
        return words.joined(separator: " ")
    }
}
