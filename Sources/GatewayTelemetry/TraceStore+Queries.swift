import Foundation
import GRDB

/// The filters of `GET /v1/traces`.
public struct TraceQuery: Sendable, Equatable {
    public var model: String?
    public var version: String?
    /// An HTTP status, or `ok` (below 400) / `error` (400 and above).
    public var status: StatusFilter?
    public var minDurationMilliseconds: Double?
    /// Unix nanoseconds; requests that started at or after it.
    public var sinceUnixNano: UInt64?
    public var limit = 50

    public enum StatusFilter: Sendable, Equatable {
        case code(Int)
        case ok
        case error
    }

    public init() {}
}

/// One audit row: a request served (which version, replica and device) or a lifecycle event.
public struct AuditRecord: Sendable, Equatable, Codable {
    public var timeUnixNano: UInt64
    public var kind: String
    public var requestID: String?
    public var model: String?
    public var version: String?
    public var replica: String?
    public var device: String?
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case timeUnixNano = "time_unix_nano"
        case kind
        case requestID = "request_id"
        case model, version, replica, device, detail
    }
}

extension TraceStore {
    /// The request and spans of a trace id (32 hex digits) or a request id; nil when unknown.
    public func trace(id: String) throws -> (summary: RequestSummary, spans: [Span])? {
        try self.flush()
        let isTraceID = id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        let decoder = JSONDecoder()
        return try self.database.read { db -> (RequestSummary, [Span])? in
            let column = isTraceID ? "trace_id" : "request_id"
            guard
                let summaryText = try String.fetchOne(
                    db, sql: "SELECT summary FROM requests WHERE \(column) = ? ORDER BY start_ns LIMIT 1", arguments: [id])
            else { return nil }
            let summary = try decoder.decode(RequestSummary.self, from: Data(summaryText.utf8))
            let body = try String.fetchOne(db, sql: "SELECT body FROM spans WHERE request_id = ?", arguments: [summary.requestID])
            let spans = try body.map { try decoder.decode([Span].self, from: Data($0.utf8)) } ?? []
            return (summary, spans)
        }
    }

    /// Requests matching `query`, newest first.
    public func search(_ query: TraceQuery) throws -> [RequestSummary] {
        try self.flush()
        var conditions: [String] = []
        var arguments: [DatabaseValue] = []
        if let model = query.model {
            conditions.append("model = ?")
            arguments.append(model.databaseValue)
        }
        if let version = query.version {
            conditions.append("version = ?")
            arguments.append(version.databaseValue)
        }
        switch query.status {
        case .code(let code)?:
            conditions.append("status = ?")
            arguments.append(code.databaseValue)
        case .ok?: conditions.append("status BETWEEN 1 AND 399")
        case .error?: conditions.append("(status >= 400 OR status = 0)")
        case nil: break
        }
        if let minimum = query.minDurationMilliseconds {
            conditions.append("duration_ms >= ?")
            arguments.append(minimum.databaseValue)
        }
        if let since = query.sinceUnixNano {
            conditions.append("start_ns >= ?")
            arguments.append(Int64(clamping: since).databaseValue)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(max(1, min(query.limit, 1000)).databaseValue)
        let sql = "SELECT summary FROM requests \(filter) ORDER BY start_ns DESC LIMIT ?"
        let bound = StatementArguments(arguments)
        let texts = try self.database.read { db in try String.fetchAll(db, sql: sql, arguments: bound) }
        let decoder = JSONDecoder()
        return try texts.map { try decoder.decode(RequestSummary.self, from: Data($0.utf8)) }
    }

    /// The newest audit rows first.
    public func audit(limit: Int = 100) throws -> [AuditRecord] {
        try self.flush()
        return try self.database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT time_ns, kind, request_id, model, version, replica, device, detail FROM audit ORDER BY id DESC LIMIT ?",
                arguments: [max(1, limit)]
            ).map { row in
                AuditRecord(
                    timeUnixNano: UInt64(clamping: row["time_ns"] as Int64), kind: row["kind"], requestID: row["request_id"],
                    model: row["model"], version: row["version"], replica: row["replica"], device: row["device"],
                    detail: row["detail"])
            }
        }
    }
}
