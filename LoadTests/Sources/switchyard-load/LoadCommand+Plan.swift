import Foundation
import HTTPTransport
import LoadGeneration

extension LoadCommand {
    /// Validates every option and builds the run; any bad input is one clear error.
    func makePlan() throws(LoadConfigurationError) -> LoadPlan {
        guard TargetPolicy.isLoopback(self.host) || self.allowRemote else {
            throw LoadConfigurationError("--host \(self.host) is not loopback; pass --allow-remote to load another machine")
        }
        guard (1...65_535).contains(self.port) else { throw LoadConfigurationError("--port must be 1...65535") }
        guard let protocolChoice = Self.protocolChoice(self.protocolName) else {
            throw LoadConfigurationError("--protocol must be h2 or http1")
        }
        guard (1...1024).contains(self.connections) else { throw LoadConfigurationError("--connections must be 1...1024") }
        guard (1...100_000_000).contains(self.requests) else { throw LoadConfigurationError("--requests must be 1...100000000") }
        let duration = try Self.duration(self.duration, option: "--duration", limit: 7 * 86_400)
        guard duration > 0 else { throw LoadConfigurationError("--duration must be positive") }
        let timeout = try Self.duration(self.timeout, option: "--timeout", limit: 86_400)
        guard timeout > 0 else { throw LoadConfigurationError("--timeout must be positive") }
        let ramp = try Self.duration(self.ramp, option: "--ramp", limit: duration)
        guard self.maxInflight >= 1 else { throw LoadConfigurationError("--max-inflight must be at least 1") }
        let headers = try self.headers.map { header throws(LoadConfigurationError) -> (name: String, value: String) in
            let parts = header.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty else { throw LoadConfigurationError("--header '\(header)' is not 'name: value'") }
            return (parts[0].trimmingCharacters(in: .whitespaces).lowercased(), parts[1].trimmingCharacters(in: .whitespaces))
        }

        let arrivalTrace = try self.trace.map { path throws(LoadConfigurationError) in try ArrivalTrace.load(path: path) }
        let schedule = try self.schedule(trace: arrivalTrace)
        let workload = try self.workload(trace: arrivalTrace)
        let slo = try self.slo.map { text throws(LoadConfigurationError) in try ServiceLevelObjective(parsing: text) }

        guard self.tls || (self.tlsCa == nil && !self.tlsInsecure) else {
            throw LoadConfigurationError("--tls-ca and --tls-insecure need --tls")
        }
        guard self.tlsCa == nil || !self.tlsInsecure else {
            throw LoadConfigurationError("choose one of --tls-ca and --tls-insecure")
        }
        let tls: TLSClientConfiguration? =
            !self.tls ? nil
            : self.tlsInsecure ? TLSClientConfiguration(verification: .none)
            : self.tlsCa.map { TLSClientConfiguration(verification: .certificateAuthorities(path: $0)) }
                ?? TLSClientConfiguration()
        let clientConfiguration = LoadClientConfiguration(
            host: self.host, port: self.port, protocol: protocolChoice, tls: tls, connections: self.connections,
            requestTimeout: .nanoseconds(Int64(timeout * 1e9)), headers: headers)
        let limits = LoadLimits(
            maxRequests: self.requests, duration: .nanoseconds(Int64(duration * 1e9)), maxInFlight: self.maxInflight,
            ramp: .nanoseconds(Int64(ramp * 1e9)))
        let admin = try self.adminDriver(duration: duration)
        var settings = self.settings(schedule: schedule, protocolChoice: protocolChoice)
        if let admin {
            settings["admin"] = "http://\(self.host):\(admin.port), \(admin.actions.count) actions"
        }
        return LoadPlan(
            clientConfiguration: clientConfiguration, schedule: schedule, limits: limits, workload: workload, slo: slo, admin: admin,
            settings: settings,
            jsonPath: self.json, htmlPath: self.html, writeExpectPath: self.writeExpect, showProgress: !self.quiet,
            checks: RunChecks(
                maxFailed: self.maxFailed, requiredErrors: self.requiredErrors, allowedErrors: self.allowedErrors,
                maxMismatches: self.maxMismatches, minSucceeded: self.minSucceeded))
    }

    /// The admin actions' driver, or nil without any: each action parsed, due within the run.
    private func adminDriver(duration: Double) throws(LoadConfigurationError) -> AdminDriver? {
        let actions = try self.adminActions.map { text throws(LoadConfigurationError) in try AdminAction(parsing: text) }
        guard !actions.isEmpty else { return nil }
        guard let port = self.adminPort, (1...65_535).contains(port) else {
            throw LoadConfigurationError("--admin-action needs --admin-port (1...65535)")
        }
        if let late = actions.first(where: { $0.at >= duration }) {
            throw LoadConfigurationError("--admin-action '\(late.text)' is due after the run's --duration \(self.duration)")
        }
        return AdminDriver(host: self.host, port: port, token: try AdminTokenSource.token(file: self.adminTokenFile), actions: actions)
    }

    private func schedule(trace: ArrivalTrace?) throws(LoadConfigurationError) -> LoadSchedule {
        let chosen = [self.concurrency != nil, self.rate != nil, trace != nil].filter { $0 }.count
        guard chosen <= 1 else { throw LoadConfigurationError("choose one of --concurrency, --rate and --trace") }
        if let rate = self.rate {
            guard rate > 0, rate <= 1_000_000, rate.isFinite else { throw LoadConfigurationError("--rate must be in (0, 1000000]") }
            return .poisson(rate: rate)
        }
        if let trace { return .timestamps(trace.offsets) }
        let concurrency = self.concurrency ?? 4
        guard (1...100_000).contains(concurrency) else { throw LoadConfigurationError("--concurrency must be 1...100000") }
        return .closedLoop(concurrency: concurrency)
    }

    private func workload(trace: ArrivalTrace?) throws(LoadConfigurationError) -> Workload {
        guard let endpoint = LoadRequest.Endpoint(rawValue: self.endpoint) else {
            throw LoadConfigurationError("--endpoint must be completions or chat")
        }
        guard self.temperature >= 0, self.temperature <= 2 else { throw LoadConfigurationError("--temperature must be 0...2") }
        guard self.sharedPrefix >= 0, self.prefixGroups >= 1 else {
            throw LoadConfigurationError("--shared-prefix must be >= 0 and --prefix-groups >= 1")
        }
        let input = try LengthDistribution(parsing: self.inputLen, option: "--input-len")
        let output = try LengthDistribution(parsing: self.outputLen, option: "--output-len")
        let source: Workload.Source
        if let dataset = self.dataset {
            source = .dataset(try DatasetEntry.load(path: dataset))
        } else if let entries = trace?.entries {
            source = .dataset(entries)
        } else {
            source = .synthetic(input: input, sharedPrefix: self.sharedPrefix, prefixGroups: self.prefixGroups)
        }
        let expectations = try self.expect.map { path throws(LoadConfigurationError) in try Expectations.load(path: path) }
        if expectations != nil && self.temperature != 0 {
            throw LoadConfigurationError("--expect needs greedy decoding (--temperature 0)")
        }
        return Workload(
            template: .init(endpoint: endpoint, model: self.model, stream: !self.noStream, temperature: self.temperature),
            source: source, output: output, seed: self.seed, expectations: expectations)
    }

    private func settings(schedule: LoadSchedule, protocolChoice: HTTPClientProtocol) -> [String: String] {
        let arrivals: String = switch schedule {
        case .closedLoop(let concurrency): "closed loop, concurrency \(concurrency)"
        case .poisson(let rate): "Poisson, \(rate) req/s"
        case .timestamps(let offsets): "trace \(self.trace ?? ""), \(offsets.count) arrivals"
        }
        var settings = [
            "scenario": self.name, "target": "\(self.tls ? "https" : "http")://\(self.host):\(self.port)", "protocol": protocolChoice.rawValue,
            "connections": "\(self.connections)", "arrivals": arrivals, "ramp": self.ramp,
            "bounds": "\(self.requests) requests or \(self.duration)", "endpoint": self.endpoint, "model": self.model,
            "stream": "\(!self.noStream)", "temperature": "\(self.temperature)", "seed": "\(self.seed)",
        ]
        if let dataset = self.dataset {
            settings["prompts"] = "dataset \(dataset)"
        } else {
            settings["prompts"] = "synthetic, input \(self.inputLen), shared prefix \(self.sharedPrefix) x \(self.prefixGroups)"
        }
        settings["max_tokens"] = self.outputLen
        if let expect = self.expect { settings["expect"] = expect }
        if let slo = self.slo { settings["slo"] = slo }
        return settings
    }

    private static func protocolChoice(_ name: String) -> HTTPClientProtocol? {
        switch name.lowercased() {
        case "h2", "http2", "http/2": .http2
        case "http1", "h1", "http/1.1", "http1.1": .http1
        default: nil
        }
    }

    private static func duration(_ text: String, option: String, limit: Double) throws(LoadConfigurationError) -> Double {
        guard let seconds = DurationText.seconds(text), seconds <= limit else {
            throw LoadConfigurationError("\(option) '\(text)' is not a duration up to \(Int(limit)) s (e.g. 500ms, 30s, 2m)")
        }
        return seconds
    }
}

enum TargetPolicy {
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
