import DeviceSimulation
import FleetSimulation
import Foundation
import GatewayCore
import Testing

@Suite struct SimulationTests {
    static func setup(_ model: String, weights: WeightFormat = .fp8, kv: KVFormat = .fp8, fleet: String = "1x8", tp: Int = 1) throws
        -> SimulationSetup
    {
        var setup = SimulationSetup(
            fleet: try FleetShape(parsing: fleet), profile: try ModelCatalog.standard.profile(named: model, weights: weights, kv: kv))
        setup.tensorParallel = tp
        return setup
    }

    @Test func everyRequestCompletesWithItsTokensAndFiguresAddUp() throws {
        let simulator = try FleetSimulator(setup: Self.setup("llama-3.1-70b"))
        #expect(simulator.devices.count == 8)
        let workload = try Workload.parse("poisson:rate=8,input=1024,output=64,count=400,seed=3")
        let result = simulator.run(workload)
        let report = SimulationReport(simulator: simulator, result: result, slo: ServiceLevelObjective(ttft: 10, tpot: 1))
        #expect(report.completed == 400)
        #expect(report.rejected == 0 && report.unfinished == 0)
        #expect(result.outputTokens.allSatisfy { $0 == 64 })
        // Output throughput is output tokens over the simulated span, and the SLO is loose.
        #expect(abs(report.outputTokensPerSecond * report.simulatedSeconds - 400 * 64) < 1)
        #expect(report.goodput?.fraction == 1)
        #expect(report.ttft.p50 <= report.ttft.p99 && report.ttft.p99 <= report.ttft.max)
        #expect(report.tpot.p50 > 0 && report.itl.p50 > 0)
        #expect(report.kvUsage.peak > 0 && report.kvUsage.peak <= 1 && report.kvUsage.mean <= report.kvUsage.peak)
        // The same workload again is the same run.
        #expect(SimulationReport(simulator: simulator, result: simulator.run(workload), slo: nil).e2e == report.e2e)
    }

    @Test func moreLoadMeansMoreThroughputAndMoreLatency() throws {
        let simulator = try FleetSimulator(setup: Self.setup("llama-3.1-8b", fleet: "1x1"))
        let light = SimulationReport(
            simulator: simulator, result: simulator.run(try Workload.parse("poisson:rate=2,input=512,output=64,count=200")), slo: nil)
        let heavy = SimulationReport(
            simulator: simulator, result: simulator.run(try Workload.parse("poisson:rate=40,input=512,output=64,count=200")), slo: nil)
        #expect(heavy.outputTokensPerSecond > light.outputTokensPerSecond)
        #expect(heavy.tpot.p50 > light.tpot.p50)
    }

    @Test func aSweepDrawsAnSVGCurve() throws {
        let simulator = try FleetSimulator(setup: Self.setup("llama-3.1-8b", fleet: "1x1"))
        let points = try [1.0, 4.0, 16.0].map { rate in
            (rate, SimulationReport(
                simulator: simulator, result: simulator.run(try Workload.parse("poisson:rate=1,input=256,output=32,count=100", rate: rate)),
                slo: nil))
        }
        let svg = LatencyCurve(title: "8B <sweep>", points: points).svg
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<polyline").count == 5)
        #expect(svg.contains("8B &lt;sweep&gt;"))
        #expect(svg.contains("16 req/s"))
    }

    @Test func badFleetsAndModelsAreOneLineErrors() throws {
        let cases: [(() throws -> SimulationSetup, String)] = [
            ({ try Self.setup("llama-3.1-405b", weights: .bf16, kv: .fp16) }, "short by"),
            ({ try Self.setup("llama-3.1-70b", tp: 16) }, "exceeds the 8 devices of a node"),
            ({ try Self.setup("llama-3.1-70b", tp: 3) }, "do not split over tensor-parallel degree 3"),
        ]
        for (make, expected) in cases {
            let setup = try make()
            let error = #expect(throws: SimulationError.self) { try FleetSimulator(setup: setup) }
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("\n") == false)
        }
        #expect(throws: DeviceSimulationError.self) { try ModelCatalog.standard.profile(named: "llama-9") }
        #expect(throws: SimulationError.self) { try ServiceLevelObjective(parsing: "ttft=fast") }
        #expect(try ServiceLevelObjective(parsing: "ttft=500ms,tpot=0.05") == ServiceLevelObjective(ttft: 0.5, tpot: 0.05))
    }
}
