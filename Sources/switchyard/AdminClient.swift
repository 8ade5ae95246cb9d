import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One request to the admin API and its answer as printable lines: versions as one line
/// each, audit records as one line each, a validation report per prompt; errors become a
/// one-line `ServeError`.
struct AdminClient {
    let base: URL
    let token: String

    func send(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> [String] {
        let data = try await self.data(method, path, body: body)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Self.lines(object)
    }

    /// The answer's body when the status is 2xx; otherwise its error message as a `ServeError`.
    func data(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> Data {
        guard let url = URL(string: path, relativeTo: self.base) else { throw ServeError("bad admin path \(path)") }
        var request = URLRequest(url: url, timeoutInterval: 600)
        request.httpMethod = method
        request.setValue("Bearer \(self.token)", forHTTPHeaderField: "authorization")
        if let user = ProcessInfo.processInfo.environment["USER"] { request.setValue(user, forHTTPHeaderField: "x-switchyard-actor") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "content-type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ServeError("cannot reach the admin API at \(self.base.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(status) else {
            let error = object["error"] as? [String: Any]
            let message = error?["message"] as? String ?? "HTTP \(status)"
            throw ServeError("\(message) (HTTP \(status))")
        }
        return data
    }

    static func lines(_ object: [String: Any]) -> [String] {
        if let versions = object["versions"] as? [[String: Any]] {
            let available = (object["available"] as? [String]).map { ["in the repository: \($0.joined(separator: ", "))"] } ?? []
            if versions.isEmpty { return ["no model versions loaded"] + available }
            return versions.map { version in
                let replicas = version["replicas"] as? [[String: Any]] ?? []
                let healthy = replicas.filter { $0["healthy"] as? Bool == true }.count
                let weight = (version["weight"] as? NSNumber)?.doubleValue ?? 0
                let desired = version["desired_replicas"] as? Int ?? replicas.count
                let short = desired > replicas.count && version["state"] as? String != "retired" ? " (\(desired) wanted)" : ""
                return "\(version["model"] ?? "?")@\(version["version"] ?? "?")  \(version["state"] ?? "?")  weight \(String(format: "%.2f", weight))  replicas \(healthy)/\(replicas.count) healthy\(short)  in-flight \(version["in_flight"] ?? 0)"
            } + available
        }
        if let records = object["records"] as? [[String: Any]] {
            return records.map { record in
                let at = Date(timeIntervalSince1970: (record["at"] as? NSNumber)?.doubleValue ?? 0)
                return "\(ISO8601DateFormatter().string(from: at))  \(record["actor"] ?? "?")  \(record["action"] ?? "?")  \(record["model"] ?? "?")@\(record["version"] ?? "")  \(record["outcome"] ?? "?")  \(record["detail"] ?? "")"
            }
        }
        if let report = object["report"] as? [String: Any] {
            var lines = ["\(report["passed"] as? Bool == true ? "passed" : "refused"): \(report["summary"] ?? "")"]
            for result in report["results"] as? [[String: Any]] ?? [] {
                lines.append("  \(result["prompt"] ?? "?") on \(result["replica"] ?? "?"): \(result["detail"] ?? "")")
            }
            return lines
        }
        return [String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)]
    }
}
