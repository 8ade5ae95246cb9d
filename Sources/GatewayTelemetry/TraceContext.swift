import Foundation
import GatewayCore
import Synchronization

/// A W3C Trace Context (`traceparent`, `tracestate`): the trace a request belongs to, the
/// span it arrived under, and its flags. Parsing is strict: anything malformed is ignored
/// and the request starts a trace of its own, as the specification asks.
public struct TraceContext: Sendable, Equatable {
    /// 32 lowercase hex digits, not all zero.
    public var traceID: String
    /// The caller's span (16 hex digits) when the request carried a `traceparent`.
    public var parentSpanID: String?
    /// The gateway's root span for this request (16 hex digits).
    public var spanID: String
    /// Trace flags; bit 0 is "sampled".
    public var flags: UInt8
    /// The incoming `tracestate`, passed on unchanged when it is well-formed.
    public var traceState: String?

    /// A fresh trace (sampled) with a new root span.
    public static func random() -> TraceContext {
        TraceContext(traceID: Self.randomTraceID(), parentSpanID: nil, spanID: Self.randomSpanID(), flags: 1, traceState: nil)
    }

    /// Continues the caller's trace when `traceparent` is valid, otherwise starts a new one.
    public static func continuing(traceparent: String?, tracestate: String?) -> TraceContext {
        guard let traceparent, let parent = TraceParent(parsing: traceparent) else { return .random() }
        return TraceContext(
            traceID: parent.traceID, parentSpanID: parent.spanID, spanID: Self.randomSpanID(), flags: parent.flags,
            traceState: tracestate.flatMap(Self.validTraceState))
    }

    /// The `traceparent` the gateway sends back: this trace, the gateway's root span.
    /// Written in place: every traced response carries it.
    public var traceparent: String {
        var traceID = self.traceID
        var spanID = self.spanID
        return traceID.withUTF8 { trace in
            spanID.withUTF8 { span in
                let count = 3 + trace.count + 1 + span.count + 3
                return String(unsafeUninitializedCapacity: count) { buffer in
                    var index = 0
                    func put(_ byte: UInt8) {
                        buffer[index] = byte
                        index += 1
                    }
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "-"))
                    for byte in trace { put(byte) }
                    put(UInt8(ascii: "-"))
                    for byte in span { put(byte) }
                    put(UInt8(ascii: "-"))
                    put(HexIdentifier.digit(self.flags >> 4))
                    put(HexIdentifier.digit(self.flags & 0xF))
                    return index
                }
            }
        }
    }

    /// A new span id (never all zero).
    public static func randomSpanID() -> String {
        HexIdentifier.string(Self.randomNonZeroWord())
    }

    /// 32 random hex digits (not all zero), written in place.
    static func randomTraceID() -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            HexIdentifier.write(Self.randomNonZeroWord(), into: UnsafeMutableBufferPointer(rebasing: buffer[0..<16]))
            HexIdentifier.write(IdentifierRandomness.shared.next(), into: UnsafeMutableBufferPointer(rebasing: buffer[16..<32]))
            return 32
        }
    }

    /// The seed of a trace's child span ids (`TraceFigures.childSpanID`).
    static func randomSeed() -> UInt64 {
        IdentifierRandomness.shared.next()
    }

    private static func randomNonZeroWord() -> UInt64 {
        var word = IdentifierRandomness.shared.next()
        while word == 0 { word = IdentifierRandomness.shared.next() }
        return word
    }

    /// `tracestate` is kept when it is at most 512 bytes of printable ASCII in at most 32
    /// comma-separated `key=value` members; otherwise it is dropped (never half-forwarded).
    static func validTraceState(_ value: String) -> String? {
        guard value.utf8.count <= 512, value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let members = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !members.isEmpty, members.count <= 32 else { return nil }
        for member in members {
            guard let equals = member.firstIndex(of: "="), equals != member.startIndex,
                member.index(after: equals) != member.endIndex
            else { return nil }
        }
        return value
    }
}

/// The fields of one `traceparent` header: `version-traceid-parentid-flags`.
struct TraceParent: Equatable {
    var traceID: String
    var spanID: String
    var flags: UInt8

    init?(parsing header: String) {
        let bytes = Array(header.utf8)
        // Version 00 is exactly 55 bytes; a later version may append fields after a dash.
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"),
            bytes[52] == UInt8(ascii: "-")
        else { return nil }
        let version = bytes[0..<2]
        guard version.allSatisfy(Self.isLowerHex), version != [0x66, 0x66] else { return nil }
        if version == [0x30, 0x30] {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 && bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        let trace = bytes[3..<35]
        let span = bytes[36..<52]
        let flags = bytes[53..<55]
        guard trace.allSatisfy(Self.isLowerHex), span.allSatisfy(Self.isLowerHex), flags.allSatisfy(Self.isLowerHex),
            !trace.allSatisfy({ $0 == UInt8(ascii: "0") }), !span.allSatisfy({ $0 == UInt8(ascii: "0") }),
            let flagValue = UInt8(String(decoding: flags, as: UTF8.self), radix: 16)
        else { return nil }
        self.traceID = String(decoding: trace, as: UTF8.self)
        self.spanID = String(decoding: span, as: UTF8.self)
        self.flags = flagValue
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

/// The random bits of trace and span ids: xoshiro256** seeded once from the system's
/// generator. Ids must be unique and unguessable in practice, not secret, and drawing each
/// word from the system (a `getrandom` call) took ~4% of a traced echo request's CPU.
final class IdentifierRandomness: Sendable {
    static let shared = IdentifierRandomness()

    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>

    private init() {
        var system = SystemRandomNumberGenerator()
        var seed = (system.next() as UInt64, system.next() as UInt64, system.next() as UInt64, system.next() as UInt64)
        // xoshiro's one bad state is all zeros.
        if seed == (0, 0, 0, 0) { seed.0 = 0x9E37_79B9_7F4A_7C15 }
        self.state = Mutex(seed)
    }

    func next() -> UInt64 {
        self.state.withLock { state in
            let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
            let shifted = state.1 << 17
            state.2 ^= state.0
            state.3 ^= state.1
            state.1 ^= state.2
            state.0 ^= state.3
            state.2 ^= shifted
            state.3 = state.3.rotatedLeft(by: 45)
            return result
        }
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}
