import NIOCore

extension NIOLoopBound {
    /// Runs `body` with the bound value now when already on its loop, else on the loop later.
    func withValueOnLoop(_ body: @escaping @Sendable (Value) -> Void) {
        if self.eventLoop.inEventLoop {
            body(self.value)
        } else {
            let bound = self
            self.eventLoop.execute { body(bound.value) }
        }
    }
}
