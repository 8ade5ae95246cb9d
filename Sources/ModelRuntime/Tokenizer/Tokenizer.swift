import Synchronization

/// A byte-level BPE tokenizer (GGUF `tokenizer.ggml.model = gpt2`): vocabulary, ranked
/// merges, token types, the pre-tokenizer split, and the BOS/EOS rules.
///
/// One instance serves every sequence of a model; it is immutable apart from a cache of
/// BPE results per pre-tokenized word, which a mutex guards.
public final class Tokenizer: Sendable {
    /// The text of every token, in the byte-level alphabet for normal tokens.
    public let tokens: [String]
    public let tokenTypes: [TokenType]
    public let preTokenizer: PreTokenizer
    public let bosTokenID: Int32?
    public let eosTokenID: Int32?
    /// Whether `encode(_:addSpecial:parseSpecial:)` with `addSpecial` starts with BOS.
    public let addBOS: Bool
    /// Whether `encode(_:addSpecial:parseSpecial:)` with `addSpecial` ends with EOS.
    public let addEOS: Bool

    let tokenIDs: [String: Int32]
    let merger: BytePairMerger
    /// Control, unknown and user-defined tokens, longest first, as llama.cpp matches them.
    let specialTokens: [SpecialToken]
    /// What each token decodes to, all tokens back to back; `pieceOffsets[id]..<[id + 1]`.
    let pieceBytes: [UInt8]
    let pieceOffsets: [Int]
    let wordCache = Mutex(WordCache())

    public var vocabularySize: Int { self.tokens.count }

    /// Builds a tokenizer from plain values, checking them as hostile input: every problem is
    /// a `ModelRuntimeError` naming the token, merge or id at fault.
    ///
    /// - Parameters:
    ///   - tokens: token texts; normal tokens spelled in GPT-2's byte alphabet.
    ///   - tokenTypes: one per token; nil means all normal.
    ///   - merges: `"left right"` pairs, highest priority first. A merge whose sides or
    ///     result are not tokens can never apply to a token sequence and is skipped.
    public convenience init(
        tokens: [String],
        tokenTypes: [TokenType]? = nil,
        merges: [String],
        preTokenizer: PreTokenizer,
        bosTokenID: Int32? = nil,
        eosTokenID: Int32? = nil,
        addBOS: Bool = false,
        addEOS: Bool = false
    ) throws {
        try self.init(
            tokens: tokens, tokenTypes: tokenTypes, merges: merges, preTokenizer: preTokenizer,
            bosTokenID: bosTokenID, eosTokenID: eosTokenID, addBOS: addBOS, addEOS: addEOS, errorSource: "tokenizer")
    }

    /// The checking initializer; `errorSource` names the file or value every error blames.
    init(
        tokens: [String],
        tokenTypes: [TokenType]?,
        merges: [String],
        preTokenizer: PreTokenizer,
        bosTokenID: Int32?,
        eosTokenID: Int32?,
        addBOS: Bool,
        addEOS: Bool,
        errorSource: String
    ) throws {
        guard !tokens.isEmpty, tokens.count < Int(Int32.max) else {
            throw ModelRuntimeError(errorSource, "vocabulary has \(tokens.count) tokens")
        }
        let types = tokenTypes ?? [TokenType](repeating: .normal, count: tokens.count)
        guard types.count == tokens.count else {
            throw ModelRuntimeError(errorSource, "\(types.count) token types for \(tokens.count) tokens")
        }
        for (name, id) in [("BOS", bosTokenID), ("EOS", eosTokenID)] {
            if let id, !(0..<Int32(tokens.count)).contains(id) {
                throw ModelRuntimeError(errorSource, "\(name) token id \(id) is outside the vocabulary of \(tokens.count)")
            }
        }
        if addBOS && bosTokenID == nil {
            throw ModelRuntimeError(errorSource, "adds BOS but has no BOS token id")
        }
        if addEOS && eosTokenID == nil {
            throw ModelRuntimeError(errorSource, "adds EOS but has no EOS token id")
        }

        var tokenIDs: [String: Int32] = [:]
        tokenIDs.reserveCapacity(tokens.count)
        for (id, text) in tokens.enumerated() where tokenIDs[text] == nil {
            // A duplicate text keeps its first id, as llama.cpp's token_to_id map does.
            tokenIDs[text] = Int32(id)
        }

        // A byte without a token (SmolLM2 lacks 21, such as 0x04 and 0xF5–0xFF, which never
        // occur in UTF-8) is dropped when encoding, as llama.cpp and Hugging Face do.
        let byteTokens: [Int32] = (0..<256).map { byte in
            tokenIDs[String(Character(ByteLevelAlphabet.scalarForByte[byte]))] ?? BytePairMerger.missing
        }
        guard byteTokens.contains(where: { $0 != BytePairMerger.missing }) else {
            throw ModelRuntimeError(errorSource, "vocabulary has no byte-level tokens; it is not a byte-level BPE vocabulary")
        }

        var mergeTable: [UInt64: BytePairMerger.Merge] = [:]
        mergeTable.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let scalars = merge.unicodeScalars
            // The separator is the first space after the first scalar, as llama.cpp splits.
            guard let space = scalars.dropFirst().firstIndex(of: " ") else {
                throw ModelRuntimeError(errorSource, "merge \(rank) '\(merge)' is not two tokens separated by a space")
            }
            let left = String(scalars[..<space])
            let right = String(scalars[scalars.index(after: space)...])
            guard let leftID = tokenIDs[left], let rightID = tokenIDs[right],
                let resultID = tokenIDs[left + right]
            else { continue }
            let key = BytePairMerger.key(leftID, rightID)
            if mergeTable[key] == nil {
                mergeTable[key] = .init(rank: Int32(rank), result: resultID)
            }
        }

        var pieceBytes: [UInt8] = []
        var pieceOffsets: [Int] = [0]
        pieceOffsets.reserveCapacity(tokens.count + 1)
        for (text, type) in zip(tokens, types) {
            pieceBytes += Tokenizer.piece(text: text, type: type)
            pieceOffsets.append(pieceBytes.count)
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.preTokenizer = preTokenizer
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.tokenIDs = tokenIDs
        self.merger = BytePairMerger(merges: mergeTable, byteTokens: byteTokens)
        self.specialTokens = SpecialToken.matchable(tokens: tokens, types: types)
        self.pieceBytes = pieceBytes
        self.pieceOffsets = pieceOffsets
    }

    /// The id of the token spelled exactly `text`, if any.
    public func tokenID(for text: String) -> Int32? {
        self.tokenIDs[text]
    }

    /// The bytes a token stands for: normal tokens through GPT-2's byte alphabet (a scalar
    /// outside it stands for its own UTF-8), other kinds verbatim. Control and unknown tokens
    /// are stored verbatim too; decoding drops them unless asked.
    private static func piece(text: String, type: TokenType) -> [UInt8] {
        switch type {
        case .normal:
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                if let byte = ByteLevelAlphabet.byte(for: scalar) {
                    bytes.append(byte)
                } else {
                    bytes += Array(String(Character(scalar)).utf8)
                }
            }
            return bytes
        case .control, .unknown, .userDefined:
            return Array(text.utf8)
        case .undefined, .unused, .byte:
            // llama.cpp's BPE vocabularies decode these to nothing.
            return []
        }
    }
}
