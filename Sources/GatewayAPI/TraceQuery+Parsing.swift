import Foundation
import GatewayTelemetry

extension TraceQuery {
    /// Reads `?model=&version=&status=&min_duration_ms=&since=&limit=` from a request path.
    /// `status` is an HTTP code, `ok` or `error`; `since` is Unix seconds or RFC 3339; a bad
    /// value is a 400 naming the parameter. Unknown parameters are ignored.
    init(parsing path: String) throws {
        self.init()
        guard let question = path.firstIndex(of: "?") else { return }
        for pair in path[path.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            let raw = parts.count > 1 ? String(parts[1]) : ""
            guard let value = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding, !value.isEmpty else {
                throw APIError.invalidRequest("Invalid '\(name.prefix(64))' parameter.", param: String(name.prefix(64)))
            }
            switch name {
            case "model": self.model = value
            case "version": self.version = value
            case "status":
                switch value {
                case "ok": self.status = .ok
                case "error": self.status = .error
                default:
                    guard let code = Int(value), (100...599).contains(code) else {
                        throw APIError.invalidRequest("'status' must be an HTTP status code, 'ok' or 'error'.", param: "status")
                    }
                    self.status = .code(code)
                }
            case "min_duration_ms":
                guard let minimum = Double(value), minimum.isFinite, minimum >= 0 else {
                    throw APIError.invalidRequest("'min_duration_ms' must be a non-negative number.", param: "min_duration_ms")
                }
                self.minDurationMilliseconds = minimum
            case "since":
                if let seconds = Double(value), seconds.isFinite, seconds >= 0, seconds < 1e11 {
                    self.sinceUnixNano = UInt64(seconds * 1e9)
                } else if let date = ISO8601DateFormatter().date(from: value), date.timeIntervalSince1970 >= 0 {
                    self.sinceUnixNano = UInt64(date.timeIntervalSince1970 * 1e9)
                } else {
                    throw APIError.invalidRequest("'since' must be Unix seconds or an RFC 3339 time.", param: "since")
                }
            case "limit":
                guard let limit = Int(value), (1...1000).contains(limit) else {
                    throw APIError.invalidRequest("'limit' must be an integer from 1 to 1000.", param: "limit")
                }
                self.limit = limit
            default: continue
            }
        }
    }
}
