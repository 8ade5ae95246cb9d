import Foundation
import HTTPTransport
import Testing

@Suite(.serialized) struct CurlTests {
    @Test func http2PriorKnowledge() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run(
                "/usr/bin/curl",
                ["-sS", "--http2-prior-knowledge", "-w", "|%{http_version}|%{response_code}", "\(running.baseURL)/hello"]
            )
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output == "hello, world\n|2|200")
        }
    }

    @Test func http11KeepAliveAndEcho() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run(
                "/usr/bin/curl",
                [
                    "-sS", "--http1.1", "-w", "|%{http_version}|%{num_connects}\n",
                    "\(running.baseURL)/hello", "\(running.baseURL)/hello",
                ]
            )
            #expect(result.status == 0, "\(result.errorOutput)")
            // Both requests ran over one connection: the second made no new connect.
            #expect(result.output == "hello, world\n|1.1|1\nhello, world\n|1.1|0\n")
            let echo = try await Tool.run(
                "/usr/bin/curl",
                ["-sS", "--http1.1", "-D", "-", "--data-binary", "ping-pong", "\(running.baseURL)/echo"]
            )
            #expect(echo.output.lowercased().contains("x-protocol: http/1.1"))
            #expect(echo.output.hasSuffix("ping-pong"))
        }
    }

    @Test func http11ChunkedStream() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run("/usr/bin/curl", ["-sS", "--http1.1", "-D", "-", "\(running.baseURL)/stream?n=40"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.lowercased().contains("transfer-encoding: chunked"))
            let lines = result.output.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("chunk ") }
            #expect(lines.count == 40)
            #expect(lines.last == "chunk 39")
        }
    }

    @Test func h2cUpgrade() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run(
                "/usr/bin/curl",
                ["-sS", "--http2", "-D", "-", "-w", "|%{http_version}", "--data-binary", "up", "\(running.baseURL)/echo"]
            )
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.contains("101 Switching Protocols"))
            #expect(result.output.lowercased().contains("x-protocol: http/2"))
            #expect(result.output.hasSuffix("up|2"))
        }
    }

    @Test func bodyTooLargeGets413OnBothProtocols() async throws {
        try await RunningServer.with({ $0.maxBodySize = 1024 }) { running in
            let body = String(repeating: "x", count: 4096)
            for version in ["--http1.1", "--http2-prior-knowledge"] {
                let result = try await Tool.run(
                    "/usr/bin/curl",
                    ["-sS", version, "-o", "/dev/null", "-w", "%{response_code}", "--data-binary", body, "\(running.baseURL)/echo"]
                )
                #expect(result.output == "413", "\(version): \(result.errorOutput)")
            }
            let small = try await Tool.run(
                "/usr/bin/curl", ["-sS", "--http2-prior-knowledge", "--data-binary", "small", "\(running.baseURL)/echo"]
            )
            #expect(small.output == "small")
        }
    }
}
