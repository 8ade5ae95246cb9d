import BatchScheduling
import Testing

@testable import ReplicaRouting

@Suite struct RoutingPolicyTests {
    func candidate(_ index: Int, outstanding: Int, match: Int = 0, kv: Int = 0, waiting: Int = 0) -> RoutingCandidate {
        RoutingCandidate(
            index: index, outstandingTokens: outstanding, inFlight: 0,
            load: ReplicaLoad(waiting: waiting, usedBlocks: kv, totalBlocks: 100), prefixMatch: match)
    }

    @Test func leastOutstandingTokensPicksTheLightest() {
        var generator = SystemRandomNumberGenerator()
        let candidates = [self.candidate(0, outstanding: 500), self.candidate(1, outstanding: 20), self.candidate(2, outstanding: 300)]
        #expect(RoutingPolicy.leastOutstandingTokens.choose(candidates, requestTokens: 10, using: &generator) == 1)
        #expect(RoutingPolicy.leastOutstandingTokens.choose([], requestTokens: 10, using: &generator) == nil)
    }

    @Test func prefixAffinityPrefersTheLongestMatchWithinTheBound() {
        var generator = SystemRandomNumberGenerator()
        let policy = RoutingPolicy.prefixAffinity(loadBound: 0.25)
        let balanced = [self.candidate(0, outstanding: 100, match: 1), self.candidate(1, outstanding: 120, match: 4), self.candidate(2, outstanding: 90)]
        #expect(policy.choose(balanced, requestTokens: 10, using: &generator) == 1)
        // The matching replica is far over the mean: the least loaded takes the request.
        let skewed = [self.candidate(0, outstanding: 10), self.candidate(1, outstanding: 5000, match: 4), self.candidate(2, outstanding: 20)]
        #expect(policy.choose(skewed, requestTokens: 10, using: &generator) == 0)
        // No match anywhere: least outstanding tokens.
        let none = [self.candidate(0, outstanding: 50), self.candidate(1, outstanding: 40)]
        #expect(policy.choose(none, requestTokens: 10, using: &generator) == 1)
    }

    @Test func powerOfTwoChoicesAvoidsTheFullReplica() {
        var generator = SystemRandomNumberGenerator()
        let candidates = [self.candidate(0, outstanding: 0, kv: 95, waiting: 4), self.candidate(1, outstanding: 0, kv: 5)]
        for _ in 0..<20 {
            #expect(RoutingPolicy.powerOfTwoChoices.choose(candidates, requestTokens: 1, using: &generator) == 1)
        }
    }

    @Test func policiesParse() {
        #expect(RoutingPolicy(parsing: "prefix-affinity") == .prefixAffinity(loadBound: RoutingPolicy.defaultLoadBound))
        #expect(RoutingPolicy(parsing: "power-of-two") == .powerOfTwoChoices)
        #expect(RoutingPolicy(parsing: "random") == nil)
    }

    @Test func prefixCacheViewMatchesLeadingBlocksOnly() {
        let hashes = BlockHash.chain([1, 2, 3, 4, 5, 6, 7, 8], blockSize: 2)
        #expect(hashes.count == 4)
        let view = PrefixCacheView(hashes: hashes.prefix(3))
        #expect(view.match(hashes) == 3)
        // A missing first block ends the match at once, whatever follows.
        #expect(PrefixCacheView(hashes: hashes.dropFirst()).match(hashes) == 0)
        #expect(PrefixCacheView.empty.match(hashes) == 0)
    }

    @Test func decisionsSayWhy() {
        var generator = SystemRandomNumberGenerator()
        let policy = RoutingPolicy.prefixAffinity(loadBound: 0.25)
        let hit = policy.decide([self.candidate(0, outstanding: 100), self.candidate(1, outstanding: 120, match: 4)], requestTokens: 10, using: &generator)
        #expect(hit?.index == 1 && hit?.reason.contains("longest cached prefix, 4 blocks") == true, "\(String(describing: hit))")
        let over = policy.decide([self.candidate(0, outstanding: 10), self.candidate(1, outstanding: 5000, match: 4)], requestTokens: 10, using: &generator)
        #expect(over?.index == 0 && over?.reason.contains("over the load bound") == true, "\(String(describing: over))")
        let least = RoutingPolicy.leastOutstandingTokens.decide([self.candidate(0, outstanding: 7)], requestTokens: 1, using: &generator)
        #expect(least == RoutingChoice(index: 0, reason: "least outstanding tokens (7)"))
    }

    @Test func modelReferencesParse() {
        #expect(ModelReference(parsing: "smollm2") == ModelReference(model: "smollm2"))
        #expect(ModelReference(parsing: "smollm2@2") == ModelReference(model: "smollm2", version: "2"))
        #expect(ModelReference(parsing: "smollm2@") == nil)
        #expect(ModelReference(parsing: "@2") == nil)
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.digest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.digest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.digest(long) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func autoRollbackComparesCanaryWithStable() {
        var policy = AutoRollbackPolicy()
        policy.minimumRequests = 4
        policy.errorRateMargin = 0.1
        policy.minimumTTFTExcess = .milliseconds(20)
        var canary = CanaryWindow()
        var stable = CanaryWindow()
        let now = ContinuousClock.now
        for index in 0..<4 {
            stable.record(.init(at: now, failed: false, timeToFirstToken: .milliseconds(10)), window: .seconds(60))
            canary.record(.init(at: now, failed: index < 2, timeToFirstToken: .milliseconds(10)), window: .seconds(60))
        }
        #expect(policy.verdict(canary: canary, stable: stable)?.contains("error rate") == true)
        var slow = CanaryWindow()
        for _ in 0..<4 { slow.record(.init(at: now, failed: false, timeToFirstToken: .milliseconds(50)), window: .seconds(60)) }
        #expect(policy.verdict(canary: slow, stable: stable)?.contains("p99 TTFT") == true)
        #expect(policy.verdict(canary: stable, stable: stable) == nil)
    }
}
