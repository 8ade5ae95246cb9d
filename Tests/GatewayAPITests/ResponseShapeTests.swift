import GatewayAPI
import GatewayCore
import HTTPTypes
import InferenceEngine
import Testing

/// Non-streamed bodies as OpenAI's API has them.
@Suite struct ResponseShapeTests {
    @Test func chatCompletion() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/chat/completions",
            body: #"{"model":"echo","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Hello  there world"}],"max_tokens":2}"#)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        #expect(response.header("x-switchyard-model-version") == "1")
        let json = response.json
        #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
        #expect(json["object"] as? String == "chat.completion")
        #expect(json["model"] as? String == "echo")
        #expect((json["created"] as? Int ?? 0) > 1_700_000_000)
        let choices = try #require(json["choices"] as? [[String: Any]])
        #expect(choices.count == 1)
        #expect(choices[0]["index"] as? Int == 0)
        #expect(choices[0]["finish_reason"] as? String == "length")
        let message = try #require(choices[0]["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == "Hello  there")
        let usage = try #require(json["usage"] as? [String: Int])
        #expect(usage == ["prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7])
    }

    @Test func textCompletionEndsWithStopWhenThePromptRunsOut() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions",
            body: #"{"model":"echo","prompt":"one two three","max_tokens":50,"user":"u1","seed":3}"#)
        #expect(response.status == 200)
        let json = response.json
        #expect((json["id"] as? String)?.hasPrefix("cmpl-") == true)
        #expect(json["object"] as? String == "text_completion")
        let choice = try #require((json["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == "one two three")
        #expect(choice["finish_reason"] as? String == "stop")
        #expect(choice.keys.contains("logprobs"))
    }

    @Test func textWithCharactersJSONMustEscapeComesBackIntact() async throws {
        let prompt = "say \"hi\" \\ back\nnow\t\u{01} é 😀"
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions",
            body: #"{"model":"echo","prompt":"say \"hi\" \\ back\nnow\t\u0001 é 😀","max_tokens":50}"#)
        let choice = try #require((response.json["choices"] as? [[String: Any]])?.first)
        #expect(choice["text"] as? String == prompt, "\(response.body)")
    }

    @Test func completionsDefaultToSixteenTokens() async throws {
        let words = (1...40).map { "w\($0)" }.joined(separator: " ")
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions", body: #"{"model":"echo","prompt":"\#(words)"}"#)
        let usage = try #require(response.json["usage"] as? [String: Int])
        #expect(usage["completion_tokens"] == 16)
    }

    @Test func twoChoicesRunTwoGenerationsWithSuccessiveSeeds() async throws {
        let engine = ScriptedEngine(script: .tokens(["a", "b"], then: .stop))
        let handler = OpenAIRequestHandler(engines: [engine])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/chat/completions",
            body: #"{"model":"scripted","messages":[{"role":"user","content":"x y"}],"n":2,"seed":41}"#)
        let choices = try #require(response.json["choices"] as? [[String: Any]])
        #expect(choices.map { $0["index"] as? Int } == [0, 1])
        #expect(choices.map { ($0["message"] as? [String: Any])?["content"] as? String } == ["ab", "ab"])
        #expect(Set(engine.requests.compactMap(\.sampling.seed)) == [41, 42])
        #expect(Set(engine.requests.map(\.id.rawValue)).count == 2)
        let usage = try #require(response.json["usage"] as? [String: Int])
        #expect(usage == ["prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6])
    }

    @Test func samplingFieldsReachTheEngine() async throws {
        let engine = ScriptedEngine(script: .tokens(["a"], then: .stop))
        let handler = OpenAIRequestHandler(engines: [engine])
        _ = try await HandlerHarness.send(
            handler, .post, "/v1/completions",
            body: #"{"model":"scripted","prompt":"p","max_tokens":5,"temperature":0,"top_p":0.9,"top_k":40,"min_p":0.05,"presence_penalty":0.5,"frequency_penalty":-0.5,"repetition_penalty":1.1,"stop":"END","priority":"high"}"#)
        let request = try #require(engine.requests.first)
        #expect(request.maxTokens == 5)
        #expect(request.sampling.temperature == 0)
        #expect(request.sampling.topP == 0.9)
        #expect(request.sampling.topK == 40)
        #expect(request.sampling.minP == 0.05)
        #expect(request.sampling.presencePenalty == 0.5)
        #expect(request.sampling.frequencyPenalty == -0.5)
        #expect(request.sampling.repetitionPenalty == 1.1)
        #expect(request.stopSequences == ["END"])
        #expect(request.priority == .high)
    }

    @Test func priorityHeaderAppliesWhenTheBodyIsSilent() async throws {
        let engine = ScriptedEngine(script: .tokens(["a"], then: .stop))
        let handler = OpenAIRequestHandler(engines: [engine])
        _ = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"p"}"#, headers: ["x-priority": "low"])
        #expect(engine.requests.first?.priority == .low)
    }

    @Test func chatLogprobs() async throws {
        let handler = OpenAIRequestHandler(engines: [ScriptedEngine(script: .tokens(["Hi", "!"], then: .stop))])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/chat/completions",
            body: #"{"model":"scripted","messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":2}"#)
        let choice = try #require((response.json["choices"] as? [[String: Any]])?.first)
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        let content = try #require(logprobs["content"] as? [[String: Any]])
        #expect(content.count == 2)
        #expect(content[0]["token"] as? String == "Hi")
        #expect(content[0]["logprob"] as? Double == -0.5)
        #expect(content[0]["bytes"] as? [Int] == [72, 105])
        let top = try #require(content[0]["top_logprobs"] as? [[String: Any]])
        #expect(top.map { $0["token"] as? String } == ["Hi", "other"])
        #expect(top[1]["logprob"] as? Double == -1.25)
    }

    @Test func completionLogprobs() async throws {
        let handler = OpenAIRequestHandler(engines: [ScriptedEngine(script: .tokens(["ab", "c"], then: .length))])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"x","logprobs":2}"#)
        let choice = try #require((response.json["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "length")
        let logprobs = try #require(choice["logprobs"] as? [String: Any])
        #expect(logprobs["tokens"] as? [String] == ["ab", "c"])
        #expect(logprobs["token_logprobs"] as? [Double] == [-0.5, -0.5])
        #expect(logprobs["text_offset"] as? [Int] == [0, 2])
        let top = try #require(logprobs["top_logprobs"] as? [[String: Double]])
        #expect(top[0] == ["ab": -0.5, "other": -1.25])
    }

    @Test func modelsAndHealth() async throws {
        let readiness = ServingReadiness()
        let handler = OpenAIRequestHandler(engines: [EchoEngine(), EchoEngine(modelName: "echo2")], readiness: readiness)
        let models = try await HandlerHarness.send(handler, .get, "/v1/models", contentType: nil)
        #expect(models.json["object"] as? String == "list")
        let data = try #require(models.json["data"] as? [[String: Any]])
        #expect(data.map { $0["id"] as? String } == ["echo", "echo2"])
        #expect(data.allSatisfy { $0["object"] as? String == "model" && $0["owned_by"] as? String == "switchyard" })
        let one = try await HandlerHarness.send(handler, .get, "/v1/models/echo2", contentType: nil)
        #expect(one.json["id"] as? String == "echo2")
        let missing = try await HandlerHarness.send(handler, .get, "/v1/models/nope", contentType: nil)
        #expect(missing.status == 404)

        #expect(try await HandlerHarness.send(handler, .get, "/health/live", contentType: nil).status == 200)
        #expect(try await HandlerHarness.send(handler, .get, "/health/ready", contentType: nil).status == 503)
        readiness.markReady()
        let ready = try await HandlerHarness.send(handler, .get, "/health/ready", contentType: nil)
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
        readiness.markDraining()
        let draining = try await HandlerHarness.send(handler, .get, "/health/ready", contentType: nil)
        #expect(draining.status == 503)
        #expect(draining.json["status"] as? String == "draining")
    }

    @Test func requestIDIsEchoedWhenSaneAndReplacedOtherwise() async throws {
        let body = #"{"model":"echo","prompt":"hi"}"#
        let echoed = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions", body: body, headers: ["x-request-id": "client-42.a:b_c"])
        #expect(echoed.header("x-request-id") == "client-42.a:b_c")
        let hostile = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions", body: body, headers: ["x-request-id": "bad id\u{7f}<script>"])
        #expect(hostile.header("x-request-id")?.hasPrefix("req_") == true)
        let tooLong = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions", body: body,
            headers: ["x-request-id": String(repeating: "a", count: 200)])
        #expect(tooLong.header("x-request-id")?.count == 28)
        let error = try await HandlerHarness.send(
            HandlerHarness.echo, .get, "/nowhere", contentType: nil, headers: ["x-request-id": "trace-1"])
        #expect(error.status == 404)
        #expect(error.header("x-request-id") == "trace-1")
        let stream = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions", body: #"{"model":"echo","prompt":"hi","stream":true}"#,
            headers: ["x-request-id": "s-1"])
        #expect(stream.header("x-request-id") == "s-1")
    }
}
