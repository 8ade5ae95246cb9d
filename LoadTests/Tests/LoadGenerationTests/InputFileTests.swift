import Foundation
import LoadGeneration
import Testing

/// Datasets, traces and expectation files are read as hostile input: a bad line is an error
/// that names the file and the line, never a crash.
@Suite("Input files")
struct InputFileTests {
    private func withFile<R>(_ contents: String, _ body: (String) throws -> R) throws -> R {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-input-\(UUID().uuidString)")
        try Data(contents.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url.path)
    }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("a dataset takes JSONL prompts and plain lines; a bad line names its number")
    func dataset() throws {
        let entries = try self.withFile("{\"prompt\": \"hi there\", \"max_tokens\": 5}\n\nplain prompt\n") {
            try DatasetEntry.load(path: $0)
        }
        #expect(entries == [DatasetEntry(prompt: "hi there", maxTokens: 5), DatasetEntry(prompt: "plain prompt")])
        let bad = try self.withFile("{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n") { path in
            self.message { _ = try DatasetEntry.load(path: path) }
        }
        #expect(bad.contains(":2:") && bad.contains("prompt"))
        let broken = try self.withFile("{not json\n") { path in self.message { _ = try DatasetEntry.load(path: path) } }
        #expect(broken.contains(":1:") && broken.contains("not a JSON object"))
    }

    @Test("a trace's timestamps must be non-negative and must not go backwards")
    func trace() throws {
        let trace = try self.withFile("{\"timestamp\": 0}\n{\"timestamp\": 0.5, \"input_tokens\": 4, \"output_tokens\": 2}\n") {
            try ArrivalTrace.load(path: $0)
        }
        #expect(trace.offsets == [0, 0.5])
        #expect(trace.entries == nil)  // only one arrival names a prompt length
        let backwards = try self.withFile("{\"timestamp\": 2}\n{\"timestamp\": 1}\n") { path in
            self.message { _ = try ArrivalTrace.load(path: path) }
        }
        #expect(backwards.contains(":2:") && backwards.contains("backwards"))
        let negative = try self.withFile("{\"timestamp\": -1}\n") { path in self.message { _ = try ArrivalTrace.load(path: path) } }
        #expect(negative.contains("timestamp"))
    }

    @Test("expectations round-trip through --write-expect's format")
    func expectations() throws {
        let records = [
            RequestRecord(index: 0, start: 0, status: 200, text: "a \"quoted\" answer\n"),
            RequestRecord(index: 1, start: 0, status: 500, errorKind: "http_500"),
        ]
        let expectations = try self.withFile(Expectations.jsonLines(from: records)) { try Expectations.load(path: $0) }
        #expect(expectations.byIndex == [0: "a \"quoted\" answer\n"])
        let missing = try self.withFile("{\"index\": 1}\n") { path in self.message { _ = try Expectations.load(path: path) } }
        #expect(missing.contains("text"))
    }
}
