import GatewayCore

/// One event of one choice, or the error that ended that choice's generation.
enum ChoiceEvent: Sendable {
    case event(choice: Int, GenerationEvent)
    case failed(choice: Int, any Error)
}

/// Runs a request's generations (n choices × prompts) concurrently and hands their events to
/// `body` in arrival order. Each generation's events are buffered here, so a slow client never
/// stalls the engine. When `body` returns or throws, or the task is cancelled, every
/// generation still running is cancelled at once (its engine stream is dropped).
enum GenerationFanOut {
    static func run<Result: Sendable>(
        _ streams: [AsyncThrowingStream<GenerationEvent, any Error>],
        body: (AsyncStream<ChoiceEvent>) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let (events, continuation) = AsyncStream.makeStream(of: ChoiceEvent.self)
            for (choice, stream) in streams.enumerated() {
                group.addTask {
                    do {
                        for try await event in stream {
                            continuation.yield(.event(choice: choice, event))
                            if case .finished = event { return }
                        }
                        if !Task.isCancelled {
                            continuation.yield(.failed(
                                choice: choice,
                                GenerationError(.internalFailure, "The engine ended a generation without finishing it.")))
                        }
                    } catch {
                        continuation.yield(.failed(choice: choice, error))
                    }
                }
            }
            defer {
                group.cancelAll()
                continuation.finish()
            }
            return try await body(events)
        }
    }
}
