import Synchronization

/// An atomic integer that tasks can share (an `Atomic` local cannot be captured by them).
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Adds `amount` and returns the value before.
    @discardableResult
    func add(_ amount: Int) -> Int {
        self.value.add(amount, ordering: .relaxed).oldValue
    }
}
