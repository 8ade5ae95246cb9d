import GatewayCore

/// One event of one choice, or the error that ended that choice's generation.
enum ChoiceEvent: Sendable {
    case event(choice: Int, GenerationEvent)
    case failed(choice: Int, any Error)
}

/// The events of a request's generations in arrival order. After a choice's `.finished` or
/// `.failed` nothing more comes for it; `nil` means the task was cancelled.
struct ChoiceEvents {
    private enum Source {
        /// One generation, read in place: no task, no extra buffer (the common case).
        case single(AsyncThrowingStream<GenerationEvent, any Error>.AsyncIterator, ended: Bool)
        case merged(AsyncStream<ChoiceEvent>.AsyncIterator)
    }

    private var source: Source

    fileprivate init(single stream: AsyncThrowingStream<GenerationEvent, any Error>) {
        self.source = .single(stream.makeAsyncIterator(), ended: false)
    }

    fileprivate init(merged stream: AsyncStream<ChoiceEvent>) {
        self.source = .merged(stream.makeAsyncIterator())
    }

    mutating func next() async -> ChoiceEvent? {
        switch self.source {
        case .merged(var iterator):
            let event = await iterator.next()
            self.source = .merged(iterator)
            return event
        case .single(var iterator, let ended):
            guard !ended else { return nil }
            let event: ChoiceEvent?
            do {
                switch try await iterator.next() {
                case let generationEvent?: event = .event(choice: 0, generationEvent)
                case nil: event = Task.isCancelled ? nil : .failed(choice: 0, GenerationFanOut.endedEarly)
                }
            } catch {
                event = .failed(choice: 0, error)
            }
            let last: Bool
            switch event {
            case .event(_, .token)?: last = false
            default: last = true
            }
            self.source = .single(iterator, ended: last)
            return event
        }
    }
}

/// Runs a request's generations (n choices × prompts) and hands their events to `body`. One
/// generation is read in place; several run concurrently in child tasks whose events are
/// buffered here, so one slow choice never holds up another. When `body` returns or throws, or
/// the task is cancelled, every generation still running is cancelled at once (its engine
/// stream is dropped or its reading task cancelled).
enum GenerationFanOut {
    static let endedEarly = GenerationError(.internalFailure, "The engine ended a generation without finishing it.")

    static func run<Result: Sendable>(
        _ streams: [AsyncThrowingStream<GenerationEvent, any Error>],
        body: (inout ChoiceEvents) async throws -> Result
    ) async throws -> Result {
        if streams.count == 1 {
            var events = ChoiceEvents(single: streams[0])
            return try await body(&events)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let (merged, continuation) = AsyncStream.makeStream(of: ChoiceEvent.self)
            for (choice, stream) in streams.enumerated() {
                group.addTask {
                    do {
                        for try await event in stream {
                            continuation.yield(.event(choice: choice, event))
                            if case .finished = event { return }
                        }
                        if !Task.isCancelled { continuation.yield(.failed(choice: choice, Self.endedEarly)) }
                    } catch {
                        continuation.yield(.failed(choice: choice, error))
                    }
                }
            }
            defer {
                group.cancelAll()
                continuation.finish()
            }
            var events = ChoiceEvents(merged: merged)
            return try await body(&events)
        }
    }
}
