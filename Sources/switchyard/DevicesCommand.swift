import ArgumentParser
import DeviceSimulation
import Foundation

/// `switchyard devices`: places replicas on a simulated fleet and shows every device's HBM
/// ledger: replicas pinned, bytes of weights, KV reserve and activation reserve, free, and
/// utilization. Exits non-zero when a replica could not be placed, after showing the fleet.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Place replicas on simulated H200s and show each device's HBM ledger."
    )

    @Option(help: "Fleet shape NODESxDEVICES, e.g. 1x8 or 4x8.")
    var fleet: String = "1x8"

    @Option(
        name: .customLong("replica"),
        help: "A replica MODEL[:bf16|fp8][:kv-fp16|kv-fp8|kv-int8][:tpN], e.g. llama-3.1-70b:fp8:tp2; repeatable."
    )
    var replicas: [String] = []

    @Option(help: "Device model: h200 or h100.")
    var device: String = "h200"

    @Option(help: "Share of each device's HBM that may be committed (0, 1].")
    var utilization: Double = Fleet.defaultUtilizationLimit

    @Option(help: "KV tokens each replica reserves.")
    var kvTokens: Int = ReplicaRequest.defaultKVReserveTokens

    @Option(help: "Output: text or json.")
    var format: String = "text"

    func run() throws {
        guard self.format == "text" || self.format == "json" else { throw ValidationError("--format must be text or json") }
        guard self.utilization > 0, self.utilization <= 1 else { throw ValidationError("--utilization must be in (0, 1]") }
        guard (0...(1 << 30)).contains(self.kvTokens) else { throw ValidationError("--kv-tokens must be in 0...\(1 << 30)") }
        let spec: DeviceSpec
        let shape: FleetShape
        var requests: [ReplicaRequest] = []
        do {
            spec = try DeviceSpec.named(self.device)
            shape = try FleetShape(parsing: self.fleet)
            var counts: [String: Int] = [:]
            for text in self.replicas {
                let replica = try ReplicaSpecification(parsing: text)
                let profile = try ModelCatalog.standard.profile(named: replica.model, weights: replica.weights, kv: replica.kv)
                let ordinal = counts[replica.model, default: 0]
                counts[replica.model] = ordinal + 1
                requests.append(ReplicaRequest(
                    name: "\(replica.model)#\(ordinal)", profile: profile, tensorParallel: replica.tensorParallel,
                    kvReserveTokens: self.kvTokens
                ))
            }
        } catch {
            throw ValidationError(error.message)
        }
        var fleet = Fleet(device: spec, shape: shape, utilizationLimit: self.utilization)
        let failures = fleet.place(all: requests).compactMap { result -> String? in
            if case .failure(let error) = result { return error.message }
            return nil
        }
        let report = fleet.report(failures: failures)
        if self.format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.render(report))
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    static func render(_ report: FleetReport) -> String {
        let header = ["DEVICE", "REPLICAS", "WEIGHTS", "KV", "KV USED", "RESERVE", "FREE", "COMMITTED", "UTIL"]
        let rows = report.devices.map { device in
            [
                device.device, device.replicas.isEmpty ? "-" : device.replicas.joined(separator: ","),
                formatBytes(device.weightBytes), formatBytes(device.kvBytes), formatBytes(device.kvInUseBytes),
                formatBytes(device.reserveBytes),
                formatBytes(device.freeBytes), percent(device.committedFraction), percent(device.utilization),
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column < 2 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        var lines = [
            "\(report.fleet) × \(report.deviceModel), \(formatBytes(report.devices.first?.capacityBytes ?? 0)) each, commit limit \(percent(report.utilizationLimit))",
            line(header),
        ]
        lines += rows.map(line)
        for placement in report.placements {
            lines.append("\(placement.replica): \(placement.model) tp\(placement.tensorParallel) on \(placement.devices.map(\.description).joined(separator: ",")) (\(formatBytes(placement.perDevice.totalBytes)) per device)")
        }
        lines += report.failures.map { "error: \($0)" }
        return lines.joined(separator: "\n")
    }

    private static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
}
