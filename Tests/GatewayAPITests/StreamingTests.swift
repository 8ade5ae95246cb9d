import GatewayAPI
import GatewayCore
import HTTPTypes
import InferenceEngine
import Testing

/// Server-sent events as OpenAI streams them.
@Suite struct StreamingTests {
    @Test func chatStreamFraming() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/chat/completions",
            body: #"{"model":"echo","messages":[{"role":"user","content":"Hello big world"}],"stream":true}"#)
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.header("x-switchyard-model-version") == "1")
        #expect(response.finished)
        #expect(response.body.hasSuffix("data: [DONE]\n\n"))
        #expect(response.events.allSatisfy { !$0.hasPrefix("<not") })
        #expect(response.events.last == "[DONE]")
        let chunks = response.chunks
        #expect(chunks.count == 5)  // role, three pieces, finish
        let ids = Set(chunks.compactMap { $0["id"] as? String })
        #expect(ids.count == 1 && ids.first?.hasPrefix("chatcmpl-") == true)
        #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["model"] as? String == "echo" })
        #expect(chunks.allSatisfy { $0["usage"] == nil })
        let deltas = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"]) as? [String: Any] }
        #expect(deltas.first?["role"] as? String == "assistant")
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == "Hello big world")
        let finish = try #require((chunks.last?["choices"] as? [[String: Any]])?.first)
        #expect(finish["finish_reason"] as? String == "stop")
        #expect((finish["delta"] as? [String: Any])?.isEmpty == true)
    }

    @Test func completionStreamWithUsage() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions",
            body: #"{"model":"echo","prompt":"a b c d","max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}"#)
        let chunks = response.chunks
        #expect(chunks.allSatisfy { $0["object"] as? String == "text_completion" })
        #expect(chunks.dropLast().allSatisfy { $0.keys.contains("usage") && !($0["usage"] is [String: Any]) })
        let texts = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["text"]) as? String }
        #expect(texts.joined() == "a b c")
        let finishes = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String }
        #expect(finishes == ["length"])
        let last = try #require(chunks.last)
        #expect((last["choices"] as? [Any])?.isEmpty == true)
        #expect(last["usage"] as? [String: Int] == ["prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7])
        #expect(response.events.last == "[DONE]")
    }

    @Test func twoChoicesStreamInterleavedWithTheirIndexes() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/chat/completions",
            body: #"{"model":"echo","messages":[{"role":"user","content":"x y"}],"n":2,"stream":true,"stream_options":{"include_usage":true}}"#)
        var text: [Int: String] = [:]
        var roles: [Int] = []
        var finished: [Int] = []
        for chunk in response.chunks {
            guard let choice = (chunk["choices"] as? [[String: Any]])?.first, let index = choice["index"] as? Int else { continue }
            let delta = choice["delta"] as? [String: Any] ?? [:]
            if delta["role"] != nil { roles.append(index) }
            text[index, default: ""] += delta["content"] as? String ?? ""
            if choice["finish_reason"] as? String != nil { finished.append(index) }
        }
        #expect(roles == [0, 1])
        #expect(text == [0: "x y", 1: "x y"])
        #expect(finished.sorted() == [0, 1])
        #expect(response.chunks.last?["usage"] as? [String: Int] == ["prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6])
    }

    @Test func stopSequenceEndsTheStreamBeforeIt() async throws {
        let response = try await HandlerHarness.send(
            HandlerHarness.echo, .post, "/v1/completions",
            body: #"{"model":"echo","prompt":"alpha beta STOP gamma","stop":["zzz","STOP"],"stream":true}"#)
        let texts = response.chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["text"]) as? String }
        #expect(texts.joined() == "alpha beta ")
        let finishes = response.chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String }
        #expect(finishes == ["stop"])
    }

    @Test func streamedChatLogprobsRideOnEachChunk() async throws {
        let handler = OpenAIRequestHandler(engines: [ScriptedEngine(script: .tokens(["A", "B"], then: .stop))])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/chat/completions",
            body: #"{"model":"scripted","messages":[{"role":"user","content":"x"}],"stream":true,"logprobs":true,"top_logprobs":1}"#)
        let entries = response.chunks.compactMap { chunk -> [[String: Any]]? in
            let choice = (chunk["choices"] as? [[String: Any]])?.first
            return (choice?["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]
        }
        #expect(entries.map { $0.first?["token"] as? String } == ["A", "B"])
    }

    @Test func engineRefusalBeforeTheFirstTokenKeepsItsStatus() async throws {
        let handler = OpenAIRequestHandler(engines: [
            ScriptedEngine(script: .refuse(GenerationError(.overloaded, "queue full", retryAfterSeconds: 3)))
        ])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"x","stream":true}"#)
        #expect(response.status == 429)
        #expect(response.header("retry-after") == "3")
        #expect(response.error["type"] as? String == "rate_limit_error")
    }

    @Test func failureMidStreamBecomesAnErrorEventThenDone() async throws {
        let handler = OpenAIRequestHandler(engines: [
            ScriptedEngine(script: .tokensThenError(["a"], GenerationError(.internalFailure, "kernel fault")))
        ])
        let response = try await HandlerHarness.send(
            handler, .post, "/v1/completions", body: #"{"model":"scripted","prompt":"x","stream":true}"#)
        #expect(response.status == 200)
        #expect(response.finished)
        #expect(response.events.last == "[DONE]")
        let error = try #require(response.chunks.last?["error"] as? [String: Any])
        #expect(error["type"] as? String == "server_error")
    }

    @Test func aWriterThatFailsCancelsTheGeneration() async throws {
        let engine = ScriptedEngine(script: .endless(interval: .milliseconds(2)))
        let handler = OpenAIRequestHandler(engines: [engine])
        let writer = RecordingResponseWriter(failAfterBodyWrites: 3)
        await handler.handle(
            HandlerHarness.request(.post, "/v1/completions", body: #"{"model":"scripted","prompt":"x","stream":true,"max_tokens":50}"#),
            writer: writer)
        #expect(writer.recorded.failedWrites == 1)
        #expect(!writer.recorded.finished)
        #expect(engine.terminations == [true])
    }

    @Test func cancellingTheRequestTaskCancelsTheGeneration() async throws {
        let engine = ScriptedEngine(script: .endless(interval: .milliseconds(2)))
        let handler = OpenAIRequestHandler(engines: [engine])
        let writer = RecordingResponseWriter()
        let task = Task {
            await handler.handle(
                HandlerHarness.request(.post, "/v1/chat/completions",
                    body: #"{"model":"scripted","messages":[{"role":"user","content":"x"}],"stream":true,"max_tokens":60}"#),
                writer: writer)
        }
        // Wait (bounded) for a few tokens to flow, then cancel as the transport would on RST_STREAM.
        for _ in 0..<500 where writer.recorded.bodies.count < 3 { try await Task.sleep(for: .milliseconds(2)) }
        task.cancel()
        await task.value
        #expect(writer.recorded.bodies.count >= 3)
        #expect(!writer.recorded.finished)
        #expect(engine.terminations == [true])
    }
}
