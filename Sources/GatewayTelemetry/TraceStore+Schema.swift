import Foundation
import GatewayCore
import GRDB

extension TraceStore {
    /// The schema, versioned so later releases can add to it in place.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        request_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, start_ns INTEGER NOT NULL,
                        duration_ms REAL NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL,
                        model TEXT, version TEXT, replica TEXT, device TEXT, summary TEXT NOT NULL);
                    CREATE INDEX requests_trace ON requests(trace_id);
                    CREATE INDEX requests_start ON requests(start_ns);
                    CREATE INDEX requests_model ON requests(model, version, start_ns);
                    CREATE TABLE spans (request_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, body TEXT NOT NULL);
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, time_ns INTEGER NOT NULL, kind TEXT NOT NULL,
                        request_id TEXT, model TEXT, version TEXT, replica TEXT, device TEXT, detail TEXT NOT NULL);
                    CREATE INDEX audit_time ON audit(time_ns);
                    """)
        }
        return migrator
    }

    /// One transaction per batch: per request its row, one row holding its spans (a JSON
    /// array), an audit row when it reached a model; then the lifecycle events. The three
    /// statements are compiled once per connection (GRDB's statement cache), not per row, and
    /// bound through `RowBinder`.
    func write(_ records: [TraceRecord], lifecycle: [LifecycleEvent]) throws {
        try self.database.write { db in
            let insertRequest = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO requests (request_id, trace_id, start_ns, duration_ms, method, path, status,
                        model, version, replica, device, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let insertSpans = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO spans (request_id, trace_id, body) VALUES (?, ?, ?)")
            let insertAudit = try db.cachedStatement(
                sql: """
                    INSERT INTO audit (time_ns, kind, request_id, model, version, replica, device, detail)
                    VALUES (?, 'request', ?, ?, ?, ?, ?, ?)
                    """)
            for record in records {
                let summary = record.summary
                var json = JSONWriter(capacity: 640)
                summary.write(to: &json)
                let spans = SpanJSONWriter.array(of: record.figures)
                try RowBinder.insert(insertRequest, in: db) { row in
                    row.text(summary.requestID)
                    row.text(summary.traceID)
                    row.integer(Int64(clamping: summary.startUnixNano))
                    row.real(summary.durationMilliseconds)
                    row.text(summary.method)
                    row.text(summary.path)
                    row.integer(Int64(summary.status))
                    row.text(summary.model)
                    row.text(summary.version)
                    row.text(summary.replica)
                    row.text(summary.device)
                    row.text(utf8: json.output)
                }
                try RowBinder.insert(insertSpans, in: db) { row in
                    row.text(summary.requestID)
                    row.text(summary.traceID)
                    row.text(utf8: spans)
                }
                if summary.model != nil {
                    try RowBinder.insert(insertAudit, in: db) { row in
                        row.integer(Int64(clamping: summary.startUnixNano))
                        row.text(summary.requestID)
                        row.text(summary.model)
                        row.text(summary.version)
                        row.text(summary.replica)
                        row.text(summary.device)
                        row.text("status \(summary.status)")
                    }
                }
            }
            for event in lifecycle {
                try db.execute(
                    sql: "INSERT INTO audit (time_ns, kind, model, version, detail) VALUES (?, ?, ?, ?, ?)",
                    arguments: [Int64(clamping: event.timeUnixNano), event.kind, event.model, event.version, event.detail])
            }
        }
    }

    /// Deletes requests older than `maxAge`, then the oldest tenth at a time while the live
    /// pages exceed `maxBytes`. Freed pages are reused by later writes (no VACUUM on the
    /// request path).
    func enforceRetention() throws {
        let now = RequestTrace.wallClockNanoseconds()
        let age = self.configuration.maxAge.components
        let ageNanos = UInt64(max(0, age.seconds)) * 1_000_000_000 + UInt64(max(0, age.attoseconds) / 1_000_000_000)
        let cutoff = Int64(clamping: now > ageNanos ? now - ageNanos : 0)
        let maxBytes = self.configuration.maxBytes
        try self.database.write { db in
            try Self.deleteRequests(db, where: "start_ns < ?", [cutoff])
            try db.execute(sql: "DELETE FROM audit WHERE time_ns < ?", arguments: [cutoff])
            // A page is freed only once all its rows are gone, so a small limit can take many
            // rounds; the bound only stops a store that cannot shrink from spinning.
            var rounds = 0
            while try Self.liveBytes(db) > maxBytes, rounds < 60 {
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") ?? 0
                guard count > 0 else { break }
                let oldest = max(1, count / 10)
                guard
                    let boundary = try Int64.fetchOne(
                        db, sql: "SELECT start_ns FROM requests ORDER BY start_ns LIMIT 1 OFFSET ?", arguments: [oldest - 1])
                else { break }
                try Self.deleteRequests(db, where: "start_ns <= ?", [boundary])
                try db.execute(sql: "DELETE FROM audit WHERE time_ns <= ? AND kind = 'request'", arguments: [boundary])
                rounds += 1
            }
        }
    }

    private static func deleteRequests(_ db: Database, where condition: String, _ arguments: StatementArguments) throws {
        try db.execute(
            sql: "DELETE FROM spans WHERE request_id IN (SELECT request_id FROM requests WHERE \(condition))",
            arguments: arguments)
        try db.execute(sql: "DELETE FROM requests WHERE \(condition)", arguments: arguments)
    }

    /// Bytes of the database that hold data now.
    public func liveBytes() throws -> Int {
        try self.database.read { try Self.liveBytes($0) }
    }

    /// Bytes in pages that hold data (the file minus its free list).
    static func liveBytes(_ db: Database) throws -> Int {
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }
}
