/// One thread's scratch for an attention item (the query heads of one KV head), laid out in
/// one place for the Swift loop, the native loop and the split-K merge: scaled queries and
/// accumulators (group × headDim each), running maxima, sums and corrections (group each,
/// padded to 16), softmax weights (group × 16) — each region a whole number of 64-byte lines.
struct AttentionGroupScratch {
    let scaledQueries: UnsafeMutablePointer<Float>
    let accumulators: UnsafeMutablePointer<Float>
    let maxima: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let corrections: UnsafeMutablePointer<Float>
    let weights: UnsafeMutablePointer<Float>

    @inline(__always)
    init(_ base: UnsafeMutablePointer<Float>, groupSize: Int, headDim: Int) {
        let groupFloats = groupSize * headDim
        let padded = Self.padded(groupSize)
        self.scaledQueries = base
        self.accumulators = base + groupFloats
        self.maxima = self.accumulators + groupFloats
        self.sums = self.maxima + padded
        self.corrections = self.sums + padded
        self.weights = self.corrections + padded
    }

    /// Floats the layout takes for `groupSize` query heads of `headDim` values.
    static func floatCount(groupSize: Int, headDim: Int) -> Int {
        2 * groupSize * headDim + 3 * Self.padded(groupSize) + 16 * groupSize
    }

    private static func padded(_ groupSize: Int) -> Int {
        (groupSize + 15) / 16 * 16
    }
}
