import Foundation
import LoadGeneration
import Synchronization

/// The live progress line on stderr: redrawn in place on a terminal, a line every few
/// seconds otherwise (CI logs), so it never mixes with the table on stdout.
final class ProgressLine: Sendable {
    private struct Counts {
        var issued = 0
        var done = 0
        var failed = 0
        var tokens = 0
    }

    private let expected: Int
    private let enabled: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let counts = Mutex(Counts())
    private let started = ContinuousClock.now

    init(expected: Int, enabled: Bool) {
        self.expected = expected
        self.enabled = enabled
    }

    /// A request is about to be sent.
    func issue() {
        self.counts.withLock { $0.issued += 1 }
    }

    func record(_ record: RequestRecord) {
        self.counts.withLock { counts in
            counts.done += 1
            if record.succeeded { counts.tokens += record.outputTokens } else { counts.failed += 1 }
        }
    }

    /// Redraws until cancelled.
    func run() async {
        guard self.enabled else { return }
        let interval: Duration = self.isTerminal ? .milliseconds(250) : .seconds(5)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            self.draw(final: false)
        }
    }

    func finish() {
        guard self.enabled else { return }
        self.draw(final: true)
    }

    /// A line of its own among the progress lines (an admin action's outcome).
    func note(_ text: String) {
        guard self.enabled else { return }
        let elapsed = DurationText.seconds(ContinuousClock.now - self.started)
        let line = String(format: "[%6.1fs] ", elapsed) + text + "\n"
        FileHandle.standardError.write(Data(((self.isTerminal ? "\r\u{1B}[K" : "") + line).utf8))
    }

    private func draw(final: Bool) {
        let counts = self.counts.withLock { $0 }
        let elapsed = max(1e-9, DurationText.seconds(ContinuousClock.now - self.started))
        let line = String(
            format: "[%6.1fs] %d/%d done, %d in flight, %d failed, %.1f req/s, %.0f tok/s",
            elapsed, counts.done, self.expected, max(0, counts.issued - counts.done), counts.failed,
            Double(counts.done) / elapsed, Double(counts.tokens) / elapsed)
        let text = self.isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
