import Foundation
import HTTPTransport
import HTTPTypes
import NIOCore
import NIOPosix

/// Drives a gateway's admin API during a run: each action at its time, one after another
/// (an action still running when the next is due delays it), each followed by a listing of
/// the versions in force, so every response's version can be checked against them.
public struct AdminDriver: Sendable {
    public var host: String
    public var port: Int
    public var token: String
    public var actions: [AdminAction]
    /// Loading and validating a real model on a busy host takes a while; bounded all the same.
    public var timeout: Duration
    public var eventLoopGroup: any EventLoopGroup

    public init(
        host: String = "127.0.0.1", port: Int, token: String, actions: [AdminAction], timeout: Duration = .seconds(300),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.actions = actions.sorted { $0.at < $1.at }
        self.timeout = timeout
        self.eventLoopGroup = eventLoopGroup
    }

    /// `MODEL@VERSION` of every version with a traffic weight above zero; an error when the
    /// admin API cannot be reached or refuses the token.
    public func versionsInForce() async throws(LoadConfigurationError) -> [String] {
        let (status, body, failure) = await self.call(.get, "/admin/models", body: [])
        guard status == 200 else { throw LoadConfigurationError("admin API at \(self.host):\(self.port): \(failure ?? Self.message(body, status: status))") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let versions = object["versions"] as? [[String: Any]]
        else { throw LoadConfigurationError("admin API at \(self.host):\(self.port): GET /admin/models is not a version listing") }
        return versions.compactMap { version in
            guard let model = version["model"] as? String, let name = version["version"] as? String,
                ((version["weight"] as? NSNumber)?.doubleValue ?? 0) > 0
            else { return nil }
            return "\(model)@\(name)"
        }.sorted()
    }

    /// Runs every action at `origin + at`; `inForce` is what held before the first.
    public func run(
        origin: ContinuousClock.Instant, inForce: [String], onOutcome: @Sendable (AdminActionOutcome) -> Void = { _ in }
    ) async -> [AdminActionOutcome] {
        var outcomes: [AdminActionOutcome] = []
        var inForce = inForce
        for action in self.actions {
            try? await Task.sleep(until: origin + .nanoseconds(Int64(action.at * 1e9)), clock: .continuous)
            let sentAt = DurationText.seconds(ContinuousClock.now - origin)
            let (status, body, failure) = await self.call(.post, action.path, body: Array(action.body.utf8))
            let answeredAt = DurationText.seconds(ContinuousClock.now - origin)
            var message = failure ?? Self.message(body, status: status)
            do {
                inForce = try await self.versionsInForce()
            } catch {
                message += "; versions in force unknown afterwards (\(error.description))"
            }
            let outcome = AdminActionOutcome(
                action: action, sentAt: sentAt, answeredAt: answeredAt, status: status, message: message, inForceAfter: inForce)
            onOutcome(outcome)
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// A fresh connection per request: actions are seconds apart, past an idle timeout.
    private func call(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]) async -> (Int?, [UInt8], String?) {
        let client = LoadClient(configuration: LoadClientConfiguration(
            host: self.host, port: self.port, protocol: .http1, requestTimeout: self.timeout,
            headers: [("authorization", "Bearer \(self.token)"), ("x-switchyard-actor", "switchyard-load")],
            eventLoopGroup: self.eventLoopGroup))
        let answer = await client.fetch(method, path, body: body)
        await client.close()
        return answer
    }

    /// The error's message, else a line on what the answer holds: a validation verdict or
    /// the versions' states and weights.
    static func message(_ body: [UInt8], status: Int?) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            return status.map { "HTTP \($0)" } ?? "no answer"
        }
        if let error = object["error"] as? [String: Any] {
            return error["message"] as? String ?? "HTTP \(status ?? 0)"
        }
        if let report = object["report"] as? [String: Any] {
            return "\(report["passed"] as? Bool == true ? "passed" : "refused"): \(report["summary"] ?? "")"
        }
        let versions = object["versions"] as? [[String: Any]] ?? []
        return versions.map { version in
            let weight = (version["weight"] as? NSNumber)?.doubleValue ?? 0
            return "\(version["model"] ?? "?")@\(version["version"] ?? "?") \(version["state"] ?? "?") \(String(format: "%.2f", weight))"
        }.joined(separator: ", ")
    }
}
