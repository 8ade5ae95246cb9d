import NIOCore

extension ChannelHandlerContext {
    /// Closes the channel after `duration` unless the returned task is cancelled first.
    func closeAfter(_ duration: Duration) -> Scheduled<Void> {
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        return self.eventLoop.scheduleTask(in: duration.timeAmount) {
            bound.value.close(promise: nil)
        }
    }
}
