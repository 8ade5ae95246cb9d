import NIOCore

/// Runs the handler tasks of one connection on that connection's event loop, so a writer's
/// calls reach the connection without a thread hop and a response's head, body and end
/// leave in one flush. Handlers that compute for long hop off it by awaiting their engine.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        self.eventLoop.enqueue(job)
    }
}

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
