import GRDB
import GRDBSQLite

/// Binds one row's values to a cached INSERT through SQLite's C API and runs it. GRDB's
/// `execute(arguments:)` boxes every value as a `DatabaseValue` and checks the arguments per
/// call: ~18% of the store's writer thread at three INSERTs per request. Only the store's own
/// INSERTs inside its write transaction go through here (no rows come back, no observers).
struct RowBinder {
    private let statement: OpaquePointer
    private var index: Int32 = 0

    /// Resets `statement`, lets `bind` set its parameters in order, steps it to completion.
    static func insert(_ statement: Statement, in db: Database, _ bind: (inout RowBinder) -> Void) throws {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        var binder = RowBinder(statement: handle)
        bind(&binder)
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
        }
    }

    private init(statement: OpaquePointer) {
        self.statement = statement
    }

    /// SQLite copies the bytes (they live only for the call).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private mutating func next() -> Int32 {
        self.index += 1
        return self.index
    }

    mutating func text(_ value: String) {
        var value = value
        let position = self.next()
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(self.statement, position, bytes.baseAddress, Int32(bytes.count), Self.transient)
        }
    }

    mutating func text(_ value: String?) {
        if let value { self.text(value) } else { _ = sqlite3_bind_null(self.statement, self.next()) }
    }

    /// UTF-8 bytes bound as text (JSON written by `JSONWriter`).
    mutating func text(utf8 bytes: [UInt8]) {
        let position = self.next()
        bytes.withUnsafeBufferPointer { buffer in
            _ = sqlite3_bind_text(self.statement, position, buffer.baseAddress, Int32(buffer.count), Self.transient)
        }
    }

    mutating func integer(_ value: Int64) {
        _ = sqlite3_bind_int64(self.statement, self.next(), value)
    }

    mutating func real(_ value: Double) {
        _ = sqlite3_bind_double(self.statement, self.next(), value)
    }
}
