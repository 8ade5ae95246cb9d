import DeviceSimulation
import Foundation
import HTTPTransport
import HTTPTypes
import NIOCore
import ReplicaRouting

extension AdminRequestHandler {
    /// `GET /admin/models`, `GET /admin/audit[?model=NAME]`, `GET /admin/devices`,
    /// `POST /admin/models/NAME/rollback`,
    /// `POST /admin/models/NAME/VERSION/{load,validate,canary,promote,retire,faults}`.
    func route(_ request: HTTPServerRequest) async -> AdminAnswer {
        let full = request.head.path ?? ""
        let parts = full.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? ""
        let query = parts.count > 1 ? String(parts[1]) : ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { String($0).removingPercentEncoding ?? String($0) }
        let method = request.head.method
        let actor = self.actor(request.head)
        let route = Array(segments.dropFirst())
        if method == .get && route == ["admin", "models"] {
            let repository = self.registry.repository
            let available = repository.models().flatMap { model in repository.versions(of: model).map { "\(model)@\($0)" } }
            return AdminAnswer(json: ModelListing(versions: self.registry.list(), available: available))
        }
        if method == .get && route == ["admin", "audit"] {
            do {
                return AdminAnswer(json: ["records": try self.registry.audit(model: Self.queryValue("model", in: query))])
            } catch {
                return AdminAnswer(error)
            }
        }
        if method == .get && route == ["admin", "devices"] {
            guard let report = self.registry.deviceReport() else {
                return AdminAnswer(error: "this gateway has no simulated fleet", status: .notFound)
            }
            return AdminAnswer(json: report)
        }
        if method == .post && route.count == 4 && route[0...1] == ["admin", "models"] && route[3] == "rollback" {
            let model = route[2]
            return self.perform(model: model) { () throws(RegistryError) in try self.registry.rollback(model: model, actor: actor) }
        }
        if method == .post && route.count == 5 && route[0...1] == ["admin", "models"] {
            return await self.lifecycle(route[4], model: route[2], version: route[3], body: request.body, actor: actor)
        }
        return AdminAnswer(error: "no admin route \(method) \(path)", status: .notFound)
    }

    private func lifecycle(_ action: String, model: String, version: String, body: ByteBuffer, actor: String) async -> AdminAnswer {
        let arguments: [String: Any]
        do {
            arguments = try Self.object(body)
        } catch {
            return AdminAnswer(error: error.message, status: .badRequest, code: error.code.description)
        }
        switch action {
        case "load":
            var replicas: Int?
            if let value = arguments["replicas"] {
                guard let count = value as? Int else {
                    return AdminAnswer(error: "'replicas' must be an integer", status: .badRequest, code: "invalid_argument")
                }
                replicas = count
            }
            do {
                try await self.registry.load(model: model, version: version, replicas: replicas, actor: actor)
                return self.versions(of: model)
            } catch {
                return AdminAnswer(error)
            }
        case "validate":
            do {
                let report = try await self.registry.validate(model: model, version: version, actor: actor)
                guard report.passed else {
                    return AdminAnswer(
                        error: "\(model)@\(version) failed validation: \(report.summary)", status: .unprocessableContent,
                        code: "validation_failed", report: report)
                }
                return AdminAnswer(json: ["report": report])
            } catch {
                return AdminAnswer(error)
            }
        case "canary":
            guard let weight = (arguments["weight"] as? NSNumber)?.doubleValue else {
                return AdminAnswer(error: "canary needs a numeric 'weight' in 0...1", status: .badRequest, code: "invalid_argument")
            }
            return self.perform(model: model) { () throws(RegistryError) in try self.registry.canary(model: model, version: version, weight: weight, actor: actor) }
        case "promote":
            return self.perform(model: model) { () throws(RegistryError) in try self.registry.promote(model: model, version: version, actor: actor) }
        case "faults":
            guard let rate = (arguments["rate"] as? NSNumber)?.doubleValue else {
                return AdminAnswer(error: "faults needs a numeric 'rate' in 0...1", status: .badRequest, code: "invalid_argument")
            }
            return self.perform(model: model) { () throws(RegistryError) in try self.registry.injectFaults(model: model, version: version, rate: rate, actor: actor) }
        case "retire":
            do {
                try await self.registry.retire(model: model, version: version, actor: actor)
                return self.versions(of: model)
            } catch {
                return AdminAnswer(error)
            }
        default:
            return AdminAnswer(error: "unknown action '\(action)' (load, validate, canary, promote, retire, faults)", status: .notFound)
        }
    }

    private func perform(model: String, _ operation: () throws(RegistryError) -> Void) -> AdminAnswer {
        do {
            try operation()
            return self.versions(of: model)
        } catch {
            return AdminAnswer(error)
        }
    }

    private func versions(of model: String) -> AdminAnswer {
        AdminAnswer(json: ["versions": self.registry.list().filter { $0.model == model }])
    }

    /// The body as a JSON object; an empty body is an empty object.
    static func object(_ body: ByteBuffer) throws(RegistryError) -> [String: Any] {
        guard body.readableBytes > 0 else { return [:] }
        let data = Data(body.readableBytesView)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw RegistryError(.invalidArgument, "the request body is not a JSON object")
        }
        return object
    }

    static func queryValue(_ name: String, in query: String) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == name { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }
}

/// `GET /admin/models`: the registry's versions, and every version the repository holds.
struct ModelListing: Encodable {
    var versions: [VersionStatus]
    var available: [String]
}
