/// Partial selection: the indices of the `count` largest values, largest first (ties by lower
/// index), in O(n log count) with a bounded min-heap — no sort of the whole vocabulary.
enum LargestValues {
    static func indices(of values: UnsafeBufferPointer<Float>, count requested: Int) -> [Int32] {
        let count = min(requested, values.count)
        guard count > 0 else { return [] }
        // heap[0] is the smallest kept value: the one a better value displaces.
        var heap: [Int32] = []
        heap.reserveCapacity(count)

        // Whether a ranks below b: smaller value, or equal value and higher index.
        func below(_ a: Int32, _ b: Int32) -> Bool {
            let va = values[Int(a)]
            let vb = values[Int(b)]
            return va != vb ? va < vb : a > b
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                let right = left + 1
                let child = right < heap.count && below(heap[right], heap[left]) ? right : left
                guard below(heap[child], heap[parent]) else { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }

        for index in 0..<values.count {
            let candidate = Int32(index)
            if heap.count < count {
                heap.append(candidate)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard below(heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if below(heap[0], candidate) {
                heap[0] = candidate
                siftDown(0)
            }
        }
        return heap.sorted { below($1, $0) }
    }
}
