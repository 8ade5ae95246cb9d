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
