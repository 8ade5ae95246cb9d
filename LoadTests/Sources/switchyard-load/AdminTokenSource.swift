import Foundation
import LoadGeneration

/// The admin API's bearer token, found as `switchyard models` finds it: `SWITCHYARD_ADMIN_TOKEN`,
/// else the file `--admin-token-file` names (one line, no spaces).
enum AdminTokenSource {
    static let environmentVariable = "SWITCHYARD_ADMIN_TOKEN"

    static func token(file: String?) throws(LoadConfigurationError) -> String {
        if let value = ProcessInfo.processInfo.environment[Self.environmentVariable], !value.isEmpty { return value }
        guard let file else {
            throw LoadConfigurationError("--admin-action needs the admin token: set \(Self.environmentVariable) or pass --admin-token-file")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LoadConfigurationError("--admin-token-file: cannot read '\(file)'")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            throw LoadConfigurationError("--admin-token-file: '\(file)' holds no token (one line, no spaces)")
        }
        return token
    }
}
