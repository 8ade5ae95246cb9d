import GatewayTelemetry
import Testing

@Suite struct TraceContextTests {
    static let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func continuesAValidTraceparent() {
        let context = TraceContext.continuing(traceparent: Self.valid, tracestate: "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.parentSpanID == "00f067aa0ba902b7")
        #expect(context.spanID != "00f067aa0ba902b7")
        #expect(context.flags == 1)
        #expect(context.traceState == "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")
        #expect(context.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-\(context.spanID)-01")
    }

    @Test(arguments: [
        "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",
    ])
    func startsANewTraceForMalformedInput(_ header: String) {
        let context = TraceContext.continuing(traceparent: header, tracestate: "a=b")
        #expect(context.parentSpanID == nil)
        #expect(context.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.traceID.count == 32)
        #expect(context.traceState == nil, "tracestate is dropped with an unusable traceparent")
    }

    @Test func acceptsAFutureVersionWithMoreFields() {
        let context = TraceContext.continuing(
            traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra", tracestate: nil)
        #expect(context.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.flags == 0)
    }

    @Test(arguments: ["novalue", "=x", "a=", String(repeating: "k=v,", count: 40), "a=b\u{7f}"])
    func dropsAMalformedTracestate(_ state: String) {
        #expect(TraceContext.continuing(traceparent: Self.valid, tracestate: state).traceState == nil)
    }

    @Test func freshTracesAreRandomAndWellFormed() {
        let first = TraceContext.random()
        let second = TraceContext.random()
        #expect(first.traceID != second.traceID)
        let reparsed = TraceContext.continuing(traceparent: first.traceparent, tracestate: nil)
        #expect(reparsed.traceID == first.traceID)
        #expect(reparsed.parentSpanID == first.spanID)
    }
}
