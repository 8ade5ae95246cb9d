import Foundation
import GRDB

/// One version's desired state: what a restart restores.
public struct DesiredVersion: Sendable, Equatable, Codable {
    public var model: String
    public var version: String
    public var state: VersionState
    public var replicas: Int
    public var weight: Double

    public init(model: String, version: String, state: VersionState, replicas: Int, weight: Double) {
        self.model = model
        self.version = version
        self.state = state
        self.replicas = replicas
        self.weight = weight
    }
}

/// One lifecycle step: who did what to which version, when, and how it ended.
public struct AuditRecord: Sendable, Equatable, Codable {
    public var id: Int64
    /// Unix seconds.
    public var at: Double
    public var actor: String
    public var action: String
    public var model: String
    public var version: String
    /// `ok`, `refused`, `failed`.
    public var outcome: String
    public var detail: String

    public init(id: Int64 = 0, at: Double, actor: String, action: String, model: String, version: String, outcome: String, detail: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.model = model
        self.version = version
        self.outcome = outcome
        self.detail = detail
    }
}

/// The registry's SQLite database: desired state per version, and the audit log.
public struct RegistryStore: Sendable {
    let database: DatabaseQueue

    /// Opens (creating if needed) the database at `path`; `nil` keeps it in memory.
    public init(path: String?) throws(RegistryError) {
        do {
            self.database = try path.map { try DatabaseQueue(path: $0) } ?? DatabaseQueue()
            try self.database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS desired_version (
                        model TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL,
                        replicas INTEGER NOT NULL, weight REAL NOT NULL,
                        PRIMARY KEY (model, version));
                    CREATE TABLE IF NOT EXISTS audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
                        outcome TEXT NOT NULL, detail TEXT NOT NULL);
                    """)
            }
        } catch {
            throw RegistryError(.storage, "cannot open registry database \(path ?? ":memory:"): \(error)")
        }
    }

    /// Replaces one model's rows with `versions` (retired versions are dropped).
    public func save(model: String, versions: [DesiredVersion]) throws(RegistryError) {
        do {
            try self.database.write { db in
                try db.execute(sql: "DELETE FROM desired_version WHERE model = ?", arguments: [model])
                for version in versions where version.state != .retired {
                    try db.execute(
                        sql: "INSERT INTO desired_version (model, version, state, replicas, weight) VALUES (?, ?, ?, ?, ?)",
                        arguments: [version.model, version.version, version.state.rawValue, version.replicas, version.weight])
                }
            }
        } catch {
            throw RegistryError(.storage, "cannot save the desired state of \(model): \(error)")
        }
    }

    public func desiredVersions() throws(RegistryError) -> [DesiredVersion] {
        do {
            return try self.database.read { db in
                try Row.fetchAll(db, sql: "SELECT model, version, state, replicas, weight FROM desired_version ORDER BY model, version")
                    .compactMap { row -> DesiredVersion? in
                        guard let state = VersionState(rawValue: row["state"]) else { return nil }
                        return DesiredVersion(
                            model: row["model"], version: row["version"], state: state, replicas: row["replicas"],
                            weight: row["weight"])
                    }
            }
        } catch {
            throw RegistryError(.storage, "cannot read the desired state: \(error)")
        }
    }

    public func append(_ record: AuditRecord) throws(RegistryError) {
        do {
            try self.database.write { db in
                try db.execute(
                    sql: "INSERT INTO audit (at, actor, action, model, version, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [record.at, record.actor, record.action, record.model, record.version, record.outcome, record.detail])
            }
        } catch {
            throw RegistryError(.storage, "cannot append to the audit log: \(error)")
        }
    }

    /// The newest `limit` records, oldest first; `model` narrows them to one model.
    public func audit(model: String? = nil, limit: Int = 1000) throws(RegistryError) -> [AuditRecord] {
        do {
            return try self.database.read { db in
                let filter = model == nil ? "" : "WHERE model = ?"
                let arguments: StatementArguments = model.map { [$0, limit] } ?? [limit]
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM audit \(filter) ORDER BY id DESC LIMIT ?", arguments: arguments
                ).map { row in
                    AuditRecord(
                        id: row["id"], at: row["at"], actor: row["actor"], action: row["action"], model: row["model"],
                        version: row["version"], outcome: row["outcome"], detail: row["detail"])
                }.reversed()
            }
        } catch {
            throw RegistryError(.storage, "cannot read the audit log: \(error)")
        }
    }
}
