/// Quickselect by probability mass: the fewest heaviest entries whose weights sum to at least
/// a target, in expected O(n) and in no particular order. It partitions around a pivot weight
/// and keeps only the side that still decides the boundary, as quickselect does for a rank.
enum MassSelection {
    static func heaviest(_ weights: [Double], reaching target: Double) -> [Int32] {
        var indices = (0..<Int32(weights.count)).map { $0 }
        var kept: [Int32] = []
        var needed = target
        var low = 0
        var high = indices.count
        while low < high && needed > 0 {
            // Median of three, so sorted input does not degrade to quadratic time.
            let a = weights[Int(indices[low])]
            let b = weights[Int(indices[(low + high) / 2])]
            let c = weights[Int(indices[high - 1])]
            let pivot = max(min(a, b), min(max(a, b), c))

            // Three-way partition of [low, high): heavier | equal | lighter.
            var heavierEnd = low
            var cursor = low
            var lighterStart = high
            while cursor < lighterStart {
                let w = weights[Int(indices[cursor])]
                if w > pivot {
                    indices.swapAt(cursor, heavierEnd)
                    heavierEnd += 1
                    cursor += 1
                } else if w < pivot {
                    lighterStart -= 1
                    indices.swapAt(cursor, lighterStart)
                } else {
                    cursor += 1
                }
            }
            var heavierMass = 0.0
            for position in low..<heavierEnd {
                heavierMass += weights[Int(indices[position])]
            }
            if heavierMass >= needed {
                high = heavierEnd
                continue
            }
            kept += indices[low..<heavierEnd]
            needed -= heavierMass
            // Equal weights: take as many as the remaining mass needs.
            for position in heavierEnd..<lighterStart where needed > 0 {
                kept.append(indices[position])
                needed -= pivot
            }
            low = lighterStart
        }
        return kept
    }
}
