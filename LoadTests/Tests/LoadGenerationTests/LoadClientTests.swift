import HTTPTransport
import LoadGeneration
import Testing

@Suite("LoadClient against the echo model")
struct LoadClientTests {
    static let prompt = "one two three four five six seven eight nine ten"

    @Test("streaming: text, tokens, TTFT, one gap per token after the first, ids", arguments: HTTPClientProtocol.allCases)
    func streamingRecord(protocol: HTTPClientProtocol) async throws {
        try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port, protocol: `protocol`))
            let record = await client.send(LoadRequest(prompt: Self.prompt, maxTokens: 6))
            await client.close()
            #expect(record.errorKind == nil, "\(record.errorMessage ?? "")")
            #expect(record.status == 200)
            #expect(record.text == "one two three four five six")
            #expect(record.outputTokens == 6)
            #expect(record.interTokenGaps.count == 5)
            let ttft = try #require(record.ttft)
            #expect(ttft > 0 && ttft <= record.endToEnd)
            #expect(record.requestID?.hasPrefix("req_") == true)
            #expect(record.traceID?.count == 32)
        }
    }

    @Test("chat and whole-body responses are measured too")
    func chatAndBody() async throws {
        try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let chat = await client.send(LoadRequest(endpoint: .chat, prompt: "hello there", maxTokens: 8))
            let body = await client.send(LoadRequest(prompt: "alpha beta gamma", maxTokens: 2, stream: false))
            await client.close()
            #expect(chat.errorKind == nil && chat.text == "hello there" && chat.outputTokens == 2)
            #expect(body.errorKind == nil && body.text == "alpha beta" && body.outputTokens == 2)
            #expect(body.interTokenGaps.isEmpty && body.ttft != nil)
        }
    }

    @Test("an unknown model is an http_404 record, an unreachable port connect_failed")
    func errorKinds() async throws {
        let closedPort = try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let record = await client.send(LoadRequest(model: "no-such-model", prompt: "x"))
            await client.close()
            #expect(record.status == 404)
            #expect(record.errorKind == "http_404")
            #expect(record.errorMessage?.isEmpty == false)
            return port
        }
        let client = LoadClient(configuration: LoadClientConfiguration(port: closedPort))
        let record = await client.send(LoadRequest(prompt: "x"))
        await client.close()
        #expect(record.errorKind == "connect_failed")
    }

    @Test("a wrong expected text is a mismatch, the right one is not")
    func expectedText() async throws {
        try await EchoServer.with { port in
            let client = LoadClient(configuration: LoadClientConfiguration(port: port))
            let right = await client.send(LoadRequest(prompt: "a b c", expectedText: "a b c"))
            let wrong = await client.send(LoadRequest(prompt: "a b c", expectedText: "a b d"))
            await client.close()
            #expect(right.mismatch == false)
            #expect(wrong.mismatch == true)
        }
    }

    @Test("closed loop: counts are exact on many multiplexed streams and on HTTP/1.1", arguments: HTTPClientProtocol.allCases)
    func closedLoopCounts(protocol: HTTPClientProtocol) async throws {
        try await EchoServer.with { port in
            let client = LoadClient(
                configuration: LoadClientConfiguration(port: port, protocol: `protocol`, connections: 2))
            let runner = LoadRunner(
                client: client, schedule: .closedLoop(concurrency: 16),
                limits: LoadLimits(maxRequests: 300, duration: .seconds(60)))
            let records = await runner.run { index in
                LoadRequest(index: index, prompt: Self.prompt, maxTokens: 1 + index % 10)
            }
            await client.close()
            #expect(records.count == 300)
            #expect(records.map(\.index) == Array(0..<300))
            #expect(records.filter { !$0.succeeded }.isEmpty)
            let expectedTokens = (0..<300).reduce(0) { $0 + 1 + $1 % 10 }
            #expect(records.reduce(0) { $0 + $1.outputTokens } == expectedTokens)
            let summary = LoadSummary(records: records)
            #expect(summary.succeeded == 300 && summary.failed == 0)
            #expect(summary.outputTokens == expectedTokens)
        }
    }
}
