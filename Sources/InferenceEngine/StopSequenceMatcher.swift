/// Holds back generated text that could be the start of a stop sequence, so a stop string
/// is never streamed to the client, not even in part.
struct StopSequenceMatcher {
    let stopSequences: [String]
    private var pending = ""

    init(stopSequences: [String]) {
        self.stopSequences = stopSequences.filter { !$0.isEmpty }
    }

    /// Text that is safe to emit after `text`, and whether a stop sequence was completed
    /// (then the text before it is all that is ever emitted).
    mutating func append(_ text: String) -> (emit: String, stopped: Bool) {
        guard !self.stopSequences.isEmpty else { return (text, false) }
        self.pending += text
        if let cut = self.earliestStop() {
            let emit = String(self.pending[..<cut])
            self.pending = ""
            return (emit, true)
        }
        let keep = self.longestSuffixStartingAStop()
        let emitEnd = self.pending.index(self.pending.endIndex, offsetBy: -keep)
        let emit = String(self.pending[..<emitEnd])
        self.pending = String(self.pending[emitEnd...])
        return (emit, false)
    }

    /// What was held back, when generation ends for another reason.
    mutating func flush() -> String {
        defer { self.pending = "" }
        return self.pending
    }

    private func earliestStop() -> String.Index? {
        var earliest: String.Index?
        for stop in self.stopSequences {
            if let range = self.pending.firstRange(of: stop), earliest.map({ range.lowerBound < $0 }) ?? true {
                earliest = range.lowerBound
            }
        }
        return earliest
    }

    /// Characters at the end of `pending` that begin some stop sequence.
    private func longestSuffixStartingAStop() -> Int {
        let characters = Array(self.pending)
        var longest = 0
        for stop in self.stopSequences {
            let stopCharacters = Array(stop)
            let limit = min(stopCharacters.count - 1, characters.count)
            guard limit > longest else { continue }
            for length in stride(from: limit, to: longest, by: -1)
            where characters[(characters.count - length)...].elementsEqual(stopCharacters[..<length]) {
                longest = length
                break
            }
        }
        return longest
    }
}
