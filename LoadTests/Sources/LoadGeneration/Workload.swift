/// Where a run's requests come from: synthetic prompts of sampled lengths (optionally with
/// shared prefixes), or a dataset of prompts. Deterministic for a seed: request i is the
/// same in every run, which is what lets `--expect` compare runs.
public struct Workload: Sendable {
    /// The shape every request shares.
    public struct Template: Sendable {
        public var endpoint: LoadRequest.Endpoint
        public var model: String
        public var stream: Bool
        public var temperature: Double

        public init(endpoint: LoadRequest.Endpoint = .completions, model: String = "echo", stream: Bool = true, temperature: Double = 0) {
            self.endpoint = endpoint
            self.model = model
            self.stream = stream
            self.temperature = temperature
        }
    }

    public enum Source: Sendable {
        /// Prompts of `input` words; `sharedPrefix` words shared by every prompt of a group
        /// (`prefixGroups` groups, request i in group i % groups), counted within `input`.
        case synthetic(input: LengthDistribution, sharedPrefix: Int, prefixGroups: Int)
        /// Prompts in order, cycling when the run needs more; a per-entry output length wins
        /// over the workload's.
        case dataset([DatasetEntry])
    }

    public var template: Template
    public var source: Source
    public var output: LengthDistribution
    public var seed: UInt64
    public var expectations: Expectations?

    public init(template: Template, source: Source, output: LengthDistribution, seed: UInt64 = 1, expectations: Expectations? = nil) {
        self.template = template
        self.source = source
        self.output = output
        self.seed = seed
        self.expectations = expectations
    }

    /// The i-th request; nil only for an empty dataset.
    public func request(_ index: Int) -> LoadRequest? {
        // One generator per request, seeded by its index: any request can be made on its own.
        var generator = SplitMix64(seed: self.seed &+ UInt64(truncatingIfNeeded: index) &* 0x2545_F491_4F6C_DD1D)
        var maxTokens = self.output.sample(using: &generator)
        let prompt: String
        switch self.source {
        case .synthetic(let input, let sharedPrefix, let prefixGroups):
            let length = input.sample(using: &generator)
            let prefixLength = min(sharedPrefix, length)
            var prefixGenerator = SplitMix64(seed: self.seed ^ UInt64(index % max(1, prefixGroups)) &+ 0xA5A5)
            let prefix = SyntheticText.words(prefixLength, using: &prefixGenerator)
            let rest = SyntheticText.words(length - prefixLength, using: &generator)
            prompt = [prefix, rest].filter { !$0.isEmpty }.joined(separator: " ")
        case .dataset(let entries):
            guard !entries.isEmpty else { return nil }
            let entry = entries[index % entries.count]
            prompt = entry.prompt
            if let entryMax = entry.maxTokens { maxTokens = entryMax }
        }
        return LoadRequest(
            index: index, endpoint: self.template.endpoint, model: self.template.model, prompt: prompt,
            maxTokens: maxTokens, stream: self.template.stream, temperature: self.template.temperature,
            expectedText: self.expectations?.text(index: index, prompt: prompt))
    }
}

/// Words for synthetic prompts: common English words, so a real tokenizer sees about one
/// token per word and the echo model exactly one piece per word.
enum SyntheticText {
    static let vocabulary = """
        the of and to in is was for on that with as by at from his her this which have are not but be had \
        they you were their one all we can been has more if no out so what up said about other into than \
        its time only could new them man some these then two first may any like now my such make over our \
        even most me state after also made many did must before back see through way where get much go well \
        your know should down work year because come people just say each those take day good how long own
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)

    static func words(_ count: Int, using generator: inout SplitMix64) -> String {
        guard count > 0 else { return "" }
        return (0..<count).map { _ in Self.vocabulary.randomElement(using: &generator) ?? "the" }.joined(separator: " ")
    }
}
