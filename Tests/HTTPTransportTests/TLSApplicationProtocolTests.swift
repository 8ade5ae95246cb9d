@testable import HTTPTransport
import Testing

/// The ALPN choice on wire-format client lists, including malformed ones a hostile client
/// could send (OpenSSL passes the list through as received).
@Suite struct TLSApplicationProtocolTests {
    private static func wire(_ names: [String]) -> [UInt8] {
        names.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
    }

    private func select(_ preferences: [String], client: [UInt8]) throws -> String? {
        let server = try ApplicationProtocolPreferences(preferences)
        let choice = client.withUnsafeBufferPointer { server.select(fromClientList: $0) }
        return choice.map { String(decoding: client[$0.offset..<($0.offset + $0.count)], as: UTF8.self) }
    }

    @Test func serverPreferenceWinsOverClientOrder() throws {
        #expect(try self.select(["h2", "http/1.1"], client: Self.wire(["http/1.1", "h2"])) == "h2")
        #expect(try self.select(["http/1.1", "h2"], client: Self.wire(["h2", "http/1.1"])) == "http/1.1")
    }

    @Test func noOverlapSelectsNothing() throws {
        #expect(try self.select(["h2", "http/1.1"], client: Self.wire(["spdy/3", "h2c"])) == nil)
        #expect(try self.select([], client: Self.wire(["h2"])) == nil)
    }

    @Test func prefixesDoNotMatch() throws {
        #expect(try self.select(["h2"], client: Self.wire(["h22", "h"])) == nil)
    }

    @Test func malformedListsSelectNothing() throws {
        // A length running past the end, a zero length, an empty list.
        #expect(try self.select(["h2"], client: [5, 0x68, 0x32]) == nil)
        #expect(try self.select(["h2"], client: [0, 2, 0x68, 0x32]) == nil)
        #expect(try self.select(["h2"], client: []) == nil)
    }
}
