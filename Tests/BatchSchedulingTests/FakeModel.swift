/// A deterministic stand-in for the model: the next token is a hash of every token before
/// it, so a sequence's output depends on exactly what its KV cache holds.
enum FakeModel {
    static func nextToken(after tokens: some Sequence<Int32>) -> Int32 {
        var state: UInt64 = 0x811c_9dc5
        for token in tokens { state = (state ^ UInt64(UInt32(bitPattern: token))) &* 0x0000_0100_0000_01b3 }
        state ^= state >> 29
        return Int32(truncatingIfNeeded: state % 50_000) + 1
    }

    /// Tokens the model stops at (an end-of-sequence stand-in), when stops are enabled.
    static func isStop(_ token: Int32) -> Bool { token % 61 == 0 }

    /// What a request generates when it runs alone, computed without any cache.
    static func reference(prompt: [Int32], maxTokens: Int, stops: Bool) -> [Int32] {
        var tokens = prompt
        var generated: [Int32] = []
        while generated.count < maxTokens {
            let next = self.nextToken(after: tokens)
            if stops && self.isStop(next) { break }
            tokens.append(next)
            generated.append(next)
        }
        return generated
    }
}

/// SplitMix64, so property tests replay from their seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
