import FleetSimulation
import Foundation
import GatewayCore
import Testing

@Suite struct WorkloadTests {
    @Test func poissonWorkloadIsSeededAndSpreadAtTheRate() throws {
        let first = try Workload.parse("poisson:rate=20,input=128,output=16,count=2000,seed=7")
        let again = try Workload.parse("poisson:rate=20,input=128,output=16,count=2000,seed=7")
        #expect(first == again)
        #expect(first.requests.count == 2000)
        let span = try #require(first.requests.last?.arrival)
        // 2000 arrivals at 20/s span about 100 s (±10% is over 4 standard deviations).
        #expect(abs(span - 100) < 10)
        #expect(first.requests.allSatisfy { $0.inputTokens == 128 && $0.outputTokens == 16 })
    }

    @Test func traceFileIsReadWithOptionalFields() throws {
        let path = try temporaryFile(
            """
            {"arrival_s": 0.5, "input_tokens": 64, "output_tokens": 8}
            {"arrival_s": 0.0, "input_tokens": 32, "output_tokens": 4, "prefix_id": "sys", "priority": "high"}

            {"arrival_s": 1.0, "input_tokens": 16, "output_tokens": 2, "prefix_id": 3}
            """)
        let workload = try Workload.parse(path)
        #expect(workload.requests.map(\.arrival) == [0.0, 0.5, 1.0])
        #expect(workload.requests[0].priority == .high)
        #expect(workload.requests[0].prefixID == "sys")
        #expect(workload.requests[2].prefixID == "3")
    }

    @Test(arguments: [
        ("{\"arrival_s\": 0, \"input_tokens\": 64}", ":1: 'output_tokens' must be an integer"),
        ("{\"arrival_s\": -1, \"input_tokens\": 64, \"output_tokens\": 8}", ":1: 'arrival_s' must be a number"),
        ("{\"arrival_s\": 0, \"input_tokens\": 1.5, \"output_tokens\": 8}", ":1: 'input_tokens' must be an integer"),
        ("{\"arrival_s\": 0, \"input_tokens\": 4, \"output_tokens\": 8}\nnot json", ":2: not a JSON object"),
        ("{\"arrival_s\": 0, \"input\": 4, \"output_tokens\": 8}", ":1: unknown field 'input'"),
        ("{\"arrival_s\": 0, \"input_tokens\": 4, \"output_tokens\": 8, \"priority\": \"urgent\"}", ":1: 'priority' must be"),
        ("\n\n", ": no requests"),
    ])
    func malformedTraceIsAOneLineError(content: String, expected: String) throws {
        let path = try temporaryFile(content)
        let error = #expect(throws: SimulationError.self) { try Workload.parse(path) }
        let message = try #require(error?.message)
        #expect(message.contains(expected), "\(message)")
        #expect(!message.contains("\n"))
    }

    @Test(arguments: [
        "poisson:rate=0,input=1,output=1,count=1", "poisson:rate=1,input=1,count=1", "poisson:rate=1,input=1,output=1",
        "poisson:rate=1,input=1,output=1,count=1,duration=1", "poisson:rate=1,input=x,output=1,count=1",
        "poisson:rate=1,input=1,output=1,cnt=1", "/no/such/trace.jsonl",
    ])
    func badWorkloadSpecificationsAreOneLineErrors(specification: String) {
        let error = #expect(throws: SimulationError.self) { try Workload.parse(specification) }
        #expect(error.map { !$0.message.isEmpty && !$0.message.contains("\n") } ?? false)
    }
}

/// Writes `content` to a fresh file under the temporary directory and returns its path.
func temporaryFile(_ content: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("workload-\(UUID().uuidString).jsonl").path
    try content.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
