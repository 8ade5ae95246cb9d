import Testing

@testable import InferenceEngine

@Suite struct StopSequenceMatcherTests {
    @Test func holdsBackAPartialStopAndCutsAtTheWholeOne() {
        var matcher = StopSequenceMatcher(stopSequences: ["END"])
        #expect(matcher.append("Hello E").emit == "Hello ")
        #expect(matcher.append("N") == (emit: "", stopped: false))
        let last = matcher.append("D and more")
        #expect(last.emit == "")
        #expect(last.stopped)
    }

    @Test func releasesHeldTextWhenItTurnsOutNotToBeAStop() {
        var matcher = StopSequenceMatcher(stopSequences: ["END", "\n\n"])
        #expect(matcher.append("the EN").emit == "the ")
        #expect(matcher.append("d") == (emit: "ENd", stopped: false))
    }

    @Test func earliestStopWins() {
        var matcher = StopSequenceMatcher(stopSequences: ["b", "a"])
        let result = matcher.append("xxabyy")
        #expect(result.emit == "xx")
        #expect(result.stopped)
    }

    @Test func flushReturnsHeldText() {
        var matcher = StopSequenceMatcher(stopSequences: ["STOP"])
        #expect(matcher.append("go ST").emit == "go ")
        #expect(matcher.flush() == "ST")
    }

    @Test func noStopsPassesEverythingThrough() {
        var matcher = StopSequenceMatcher(stopSequences: [])
        #expect(matcher.append("anything") == (emit: "anything", stopped: false))
    }
}
