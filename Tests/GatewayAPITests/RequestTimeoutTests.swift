import GatewayAPI
import GatewayCore
import HTTPTypes
import Testing

/// `x-request-timeout` (seconds, fractions allowed) and the body's `request_timeout` reach the
/// engine as `GenerationRequest.requestTimeout`; the body wins; bad values are 400s naming
/// where they came from.
@Suite struct RequestTimeoutTests {
    static let completion = #"{"model":"scripted","prompt":"p""#

    func sent(body: String, headers: [String: String] = [:]) async throws -> (RecordedResponse, ScriptedEngine) {
        let engine = ScriptedEngine(script: .tokens(["a"], then: .stop))
        let handler = OpenAIRequestHandler(engines: [engine])
        let response = try await HandlerHarness.send(handler, .post, "/v1/completions", body: body, headers: headers)
        return (response, engine)
    }

    @Test func noTimeoutLeavesItToTheEngine() async throws {
        let (response, engine) = try await self.sent(body: Self.completion + "}")
        #expect(response.status == 200)
        #expect(engine.requests.count == 1)
        #expect(engine.requests.first?.requestTimeout == nil)
    }

    @Test func headerTimeoutInDecimalSeconds() async throws {
        let (response, engine) = try await self.sent(body: Self.completion + "}", headers: ["x-request-timeout": " 2.5 "])
        #expect(response.status == 200)
        #expect(engine.requests.first?.requestTimeout == .milliseconds(2_500))
    }

    @Test func bodyTimeoutWinsOverTheHeader() async throws {
        let (response, engine) = try await self.sent(
            body: Self.completion + #","request_timeout":0.25}"#, headers: ["x-request-timeout": "9"])
        #expect(response.status == 200)
        #expect(engine.requests.first?.requestTimeout == .milliseconds(250))
    }

    @Test func everyChoiceCarriesTheTimeout() async throws {
        let (response, engine) = try await self.sent(body: Self.completion + #","n":3,"request_timeout":4}"#)
        #expect(response.status == 200)
        #expect(engine.requests.count == 3)
        #expect(engine.requests.allSatisfy { $0.requestTimeout == .seconds(4) })
    }

    @Test(arguments: ["0", "-1", "abc", "", "nan", "inf", "1e3", "0x10", "86401", "1.2.3"])
    func badHeaderIsA400(value: String) async throws {
        let (response, engine) = try await self.sent(body: Self.completion + "}", headers: ["x-request-timeout": value])
        #expect(response.status == 400)
        #expect(response.error["type"] as? String == "invalid_request_error")
        #expect(response.error["param"] as? String == "x-request-timeout")
        #expect(engine.requests.isEmpty)
    }

    @Test(arguments: ["0", "-0.5", "\"5\"", "true", "86400.5", "1e300"])
    func badBodyFieldIsA400(value: String) async throws {
        let (response, engine) = try await self.sent(body: Self.completion + #","request_timeout":\#(value)}"#)
        #expect(response.status == 400)
        #expect(response.error["type"] as? String == "invalid_request_error")
        #expect(response.error["param"] as? String == "request_timeout")
        #expect(engine.requests.isEmpty)
    }
}
