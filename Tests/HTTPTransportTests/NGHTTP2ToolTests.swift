import Foundation
import HTTPTransport
import Testing

/// nghttp2's own client and load generator against the server.
@Suite(.serialized) struct NGHTTP2ToolTests {
    @Test func nghttpVerbose() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run("/usr/bin/nghttp", ["-nv", "\(running.baseURL)/stream?n=5", "\(running.baseURL)/hello"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.contains("recv SETTINGS frame"))
            #expect(result.output.contains("[SETTINGS_MAX_CONCURRENT_STREAMS(0x03):128]"))
            #expect(result.output.components(separatedBy: ":status: 200").count == 3)
            #expect(result.output.contains("send GOAWAY frame"))
        }
    }

    @Test func h2loadThousandRequests() async throws {
        try await RunningServer.with { running in
            let result = try await Tool.run(
                "/usr/bin/h2load", ["-n1000", "-c10", "-m10", "\(running.baseURL)/hello"], timeout: .seconds(120)
            )
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.contains("1000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(result.output)")
            #expect(result.output.contains("status codes: 1000 2xx"))
            #expect(running.server.activeStreamCount == 0)
        }
    }
}
