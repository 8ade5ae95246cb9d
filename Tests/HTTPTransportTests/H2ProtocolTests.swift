import Foundation
import HTTPTransport
import Synchronization
import Testing

/// Protocol behaviour driven by the Python `h2` package (Tests/python/h2_*.py): each script
/// exits 0 when the server behaved, or prints what it saw instead.
@Suite(.serialized) struct H2ProtocolTests {
    private func runScript(_ name: String, port: Int, timeout: Duration = .seconds(60)) async throws -> ToolResult {
        try await Tool.run(Tool.python, ["-B", Tool.pythonScript(name), String(port)], timeout: timeout)
    }

    @Test func resetStreamCancelsTheHandler() async throws {
        try await RunningServer.with { running in
            let result = try await self.runScript("h2_rst_stream.py", port: running.port)
            #expect(result.status == 0, "\(result.errorOutput)")
            let cancelled = await running.eventually {
                running.handler.counters.withLock { $0.waitCancelled } == 1 && running.server.activeStreamCount == 0
            }
            #expect(cancelled, "waitStarted \(running.handler.counters.withLock { $0.waitStarted })")
        }
    }

    @Test func oneByteWindowStallsOnlyItsStream() async throws {
        try await RunningServer.with { running in
            let result = try await self.runScript("h2_flow_control.py", port: running.port)
            #expect(result.status == 0, "\(result.errorOutput)")
            // The stalled stream's handler ends once the client's connection is gone.
            #expect(await running.eventually { running.server.activeStreamCount == 0 })
        }
    }

    /// Closed streams' state is reused: no request sees another's fields, and the
    /// per-response `x-request-id` goes HPACK never-indexed.
    @Test func reusedStreamsStartClean() async throws {
        try await RunningServer.with { running in
            let result = try await self.runScript("h2_stream_reuse.py", port: running.port)
            #expect(result.status == 0, "\(result.errorOutput)")
        }
    }

    @Test(arguments: ["h2_bad_preface.py", "h2_oversized_headers.py", "h2_data_unknown_stream.py", "h2_missing_path.py"])
    func protocolErrors(script: String) async throws {
        try await RunningServer.with { running in
            let result = try await self.runScript(script, port: running.port)
            #expect(result.status == 0, "\(script): \(result.errorOutput)")
        }
    }

    @Test func bodyTooLarge() async throws {
        try await RunningServer.with({ $0.maxBodySize = 1024 }) { running in
            let result = try await self.runScript("h2_body_too_large.py", port: running.port)
            #expect(result.status == 0, "\(result.errorOutput)")
        }
    }

    @Test func timeouts() async throws {
        try await RunningServer.with({
            $0.headerReadTimeout = .milliseconds(300)
            $0.idleTimeout = .milliseconds(600)
        }) { running in
            let result = try await self.runScript("h2_timeouts.py", port: running.port)
            #expect(result.status == 0, "\(result.errorOutput)")
        }
    }

    /// nghttp and curl rather than the `h2` package, which refuses frames after GOAWAY
    /// although RFC 9113 §6.8 lets streams up to the last stream id finish.
    @Test func gracefulShutdownFinishesInFlightStreams() async throws {
        let running = try await RunningServer.start { $0.shutdownGracePeriod = .seconds(10) }
        let url = "\(running.baseURL)/stream?n=10&delay_ms=100"
        async let http2 = Tool.run("/usr/bin/nghttp", ["-v", url])
        async let http1 = Tool.run("/usr/bin/curl", ["-sS", "--http1.1", "-D", "-", url])
        let streaming = await running.eventually(timeout: .seconds(10)) {
            running.handler.counters.withLock { $0.chunksWritten } >= 2
        }
        #expect(streaming)
        async let shutdown: Void = running.server.shutdown()
        try await Task.sleep(for: .milliseconds(100))
        let refused = try await Tool.run(
            "/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "--max-time", "5", "\(running.baseURL)/hello"]
        )
        // curl exit code 7: could not connect.
        #expect(refused.status == 7, "\(refused.output) \(refused.errorOutput)")
        let (http2Result, http1Result) = try await (http2, http1)
        await shutdown
        #expect(http2Result.status == 0, "\(http2Result.errorOutput)")
        #expect(http2Result.output.contains("recv GOAWAY frame"))
        #expect(http2Result.output.contains("error_code=NO_ERROR"))
        #expect(http2Result.output.components(separatedBy: "chunk ").count == 11, "\(http2Result.output)")
        #expect(http1Result.status == 0, "\(http1Result.errorOutput)")
        #expect(http1Result.output.components(separatedBy: "chunk ").count == 11)
        #expect(running.server.activeStreamCount == 0)
    }

    @Test func shutdownClosesWhatOutlivesTheGracePeriod() async throws {
        let running = try await RunningServer.start { $0.shutdownGracePeriod = .milliseconds(300) }
        async let client = Tool.run(
            "/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "--max-time", "20", "\(running.baseURL)/wait"]
        )
        #expect(await running.eventually { running.handler.counters.withLock { $0.waitStarted } == 1 })
        let started = ContinuousClock.now
        await running.server.shutdown()
        #expect(ContinuousClock.now - started < .seconds(5))
        let result = try await client
        // The stream was cut off: curl reports an error instead of a complete response.
        #expect(result.status != 0)
        #expect(await running.eventually { running.server.activeStreamCount == 0 })
        #expect(running.handler.counters.withLock { $0.waitCancelled } == 1)
    }
}
