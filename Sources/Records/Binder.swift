import GRDB
import GRDBSQLite
import Screening

/// Binds one row's values to a prepared insert and runs it, straight through SQLite's C API:
/// the store's hot path (GRDB's `StatementArguments` box every value in an existential first,
/// which cost as much as SQLite's own work per row). Values bind in order, from parameter 1.
struct Binder {
    private let statement: SQLiteStatement
    private var index: Int32 = 1
    /// SQLITE_TRANSIENT: SQLite copies the text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Resets `statement`, lets `bind` give it its values, and steps it once.
    static func run(_ statement: Statement, in db: Database, _ bind: (inout Binder) -> Void) throws {
        let s = statement.sqliteStatement
        sqlite3_reset(s)
        sqlite3_clear_bindings(s)
        var binder = Binder(statement: s)
        bind(&binder)
        let rc = sqlite3_step(s)
        guard rc == SQLITE_DONE else {
            let message = db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) }
            sqlite3_reset(s)
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: statement.sql)
        }
    }

    private init(statement: SQLiteStatement) { self.statement = statement }

    mutating func add(_ v: String?) {
        if let v { sqlite3_bind_text(statement, index, v, -1, Self.transient) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func add(_ v: Int?) { add(v.map(Int64.init)) }

    mutating func add(_ v: Int64?) {
        if let v { sqlite3_bind_int64(statement, index, v) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    mutating func add(_ v: Double?) {
        if let v, v.isFinite { sqlite3_bind_double(statement, index, v) } else { sqlite3_bind_null(statement, index) }
        index += 1
    }

    /// Text given as its UTF-8 bytes.
    mutating func add(utf8 v: [UInt8]) {
        v.withUnsafeBytes { sqlite3_bind_text(statement, index, $0.baseAddress?.assumingMemoryBound(to: CChar.self), Int32($0.count), Self.transient) }
        index += 1
    }

    mutating func add(blob v: [UInt8]) {
        v.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), Self.transient) }
        index += 1
    }

    mutating func add(_ box: Box?) { add(box?.minX); add(box?.minY); add(box?.maxX); add(box?.maxY) }
}
