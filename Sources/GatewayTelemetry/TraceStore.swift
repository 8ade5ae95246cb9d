import Foundation
import GatewayCore
import GRDB
import Synchronization

/// The embedded store of finished requests: one row per request (its summary, which doubles
/// as the audit record of what served it), its spans, and model lifecycle events. SQLite in
/// WAL mode under the data directory, so traces survive a restart.
///
/// `enqueue` only appends to a buffer; a writer thread of its own commits the buffer in one
/// transaction every `flushInterval` (or sooner when it fills), off the request path, and
/// enforces retention by age and by size after each batch.
public final class TraceStore: Sendable {
    public struct Configuration: Sendable {
        /// Requests (and their spans and audit rows) older than this are deleted.
        public var maxAge: Duration = .seconds(7 * 24 * 3600)
        /// When the data the database holds exceeds this, the oldest requests go first.
        public var maxBytes: Int = 256 << 20
        public var flushInterval: Duration = .milliseconds(200)
        /// A buffer this long is written at once.
        public var batchSize = 256
        /// Records queued beyond this (the database stalled) are dropped and counted, so a
        /// stuck disk never grows the gateway's memory without bound.
        public var maxPending = 50_000

        public init() {}
    }

    public let path: String
    public let configuration: Configuration
    let database: DatabasePool
    let pending = Mutex(Pending())
    let wakeUp = NSCondition()
    /// Held from taking a batch until it is committed, so a `flush` returns only once every
    /// record queued before it is in the database (the writer thread may be mid-batch). It
    /// holds the batch being written: the queue and the batch swap arrays, so both keep their
    /// memory from batch to batch (a fresh queue per batch cost page faults on the request
    /// path) and the records are released here, off the event loops.
    private let writing = Mutex(Batch())

    struct Batch {
        var records: [TraceRecord] = []
        var lifecycle: [LifecycleEvent] = []
    }

    struct Pending {
        var records: [TraceRecord] = []
        var lifecycle: [LifecycleEvent] = []
        var stopped = false
        var dropped = 0
    }

    /// Opens (or creates) `telemetry.sqlite` in `directory` and starts the writer thread.
    public init(directory: String, configuration: Configuration = Configuration()) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.path = (directory as NSString).appendingPathComponent("telemetry.sqlite")
        self.configuration = configuration
        var databaseConfiguration = GRDB.Configuration()
        databaseConfiguration.busyMode = .timeout(5)
        databaseConfiguration.prepareDatabase { db in
            // A request's spans row is 2–3 KB: a 4 KB page held one and wasted the rest, so
            // every request cost ~5 KB of pages to write (twice, WAL and checkpoint). With
            // 16 KB pages rows pack about five to a page. Only a new, empty file takes it.
            try db.execute(sql: "PRAGMA page_size = 16384")
            // The trace-id index takes random inserts: with SQLite's default 2 MB page cache
            // most of its pages were read back from the file (`pread`) on every batch.
            try db.execute(sql: "PRAGMA cache_size = -32768")
        }
        self.database = try DatabasePool(path: self.path, configuration: databaseConfiguration)
        try Self.migrator.migrate(self.database)
        let thread = Thread { [weak self] in self?.runWriter() }
        thread.name = "trace store writer"
        thread.start()
    }

    /// Queues a finished request for the next batch; never blocks on the database.
    public func enqueue(_ record: TraceRecord) {
        let full = self.pending.withLock { pending in
            guard pending.records.count < self.configuration.maxPending else {
                pending.dropped += 1
                return true
            }
            pending.records.append(record)
            return pending.records.count >= self.configuration.batchSize
        }
        if full { self.wakeUp.signal() }
    }

    /// Records dropped because the queue was full (the database could not keep up).
    public var droppedRecords: Int { self.pending.withLock { $0.dropped } }

    /// Records a model lifecycle event (loaded, promoted, retired …) in the audit log.
    public func recordLifecycle(_ event: LifecycleEvent) {
        self.pending.withLock { $0.lifecycle.append(event) }
        self.wakeUp.signal()
    }

    /// Writes whatever is queued now, on the caller's thread (queries call it first so a
    /// request that just ended is found).
    public func flush() throws {
        try self.writing.withLock { batch in
            self.pending.withLock { pending in
                swap(&pending.records, &batch.records)
                swap(&pending.lifecycle, &batch.lifecycle)
            }
            defer {
                batch.records.removeAll(keepingCapacity: true)
                batch.lifecycle.removeAll(keepingCapacity: true)
            }
            guard !batch.records.isEmpty || !batch.lifecycle.isEmpty else { return }
            try self.write(batch.records, lifecycle: batch.lifecycle)
        }
    }

    /// Stops the writer thread after a last flush.
    public func close() throws {
        self.pending.withLock { $0.stopped = true }
        self.wakeUp.signal()
        try self.flush()
    }

    private func runWriter() {
        let interval = self.configuration.flushInterval.secondsValue
        while true {
            self.wakeUp.lock()
            _ = self.wakeUp.wait(until: Date(timeIntervalSinceNow: interval))
            self.wakeUp.unlock()
            if self.pending.withLock({ $0.stopped }) { return }
            do {
                try self.flush()
                try self.enforceRetention()
            } catch {
                // A full disk or a locked file must not take the gateway down; the next batch
                // tries again. Records that failed are dropped with the error on stderr.
                FileHandle.standardError.write(Data("switchyard: trace store: \(error)\n".utf8))
            }
        }
    }
}

/// A model lifecycle event for the audit log.
public struct LifecycleEvent: Sendable, Equatable {
    public var timeUnixNano: UInt64
    /// `loaded`, `validated`, `promoted`, `rolled_back`, `retired` …
    public var kind: String
    public var model: String
    public var version: String
    public var detail: String

    public init(kind: String, model: String, version: String, detail: String = "", timeUnixNano: UInt64? = nil) {
        self.kind = kind
        self.model = model
        self.version = version
        self.detail = detail
        self.timeUnixNano = timeUnixNano ?? RequestTrace.wallClockNanoseconds()
    }
}
