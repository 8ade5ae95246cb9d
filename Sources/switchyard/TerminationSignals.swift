import Dispatch
import Foundation

/// SIGINT and SIGTERM as an async sequence, so `serve` can await the first one and shut down
/// gracefully. The default dispositions are replaced (ignored) while this exists.
struct TerminationSignals {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        self.sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Suspends until a signal arrives; returns its number.
    func next() async -> Int32? {
        var iterator = self.stream.makeAsyncIterator()
        return await iterator.next()
    }
}
