// Binding and stepping GRDB's cached statements through SQLite's C API, for the commit path.
//
// NOTE: GRDB's `execute(arguments:)` builds a `StatementArguments` array of existentials and a
// `DatabaseValue` per argument (about ten allocations per row); a commit of 1,000 events writes
// about 4,000 rows. Binding directly costs one copy of each string or blob into SQLite
// (`SQLITE_TRANSIENT`) and nothing else (docs/performance.md, "Replay").

import GRDB
import GRDBSQLite

// MARK: - RawStatement

/// A prepared statement (from `Database.cachedStatement`) bound and run with the C API.
/// Valid while the statement is: within the `Database` access that produced it.
struct RawStatement {
  private let handle: OpaquePointer
  /// The GRDB statement, for its SQL text in an error.
  // PERF: `Statement.sql` trims the text through Foundation's `NSString` (~25 µs for the
  // commit's INSERT): read only when a step fails, not once per commit per statement (it was
  // ~2 µs per decision on the daemon's commit thread, docs/performance.md, "The commit thread's
  // Swift work").
  private let statement: Statement

  /// Wraps a GRDB statement.
  init(_ statement: Statement) {
    handle = statement.sqliteStatement
    self.statement = statement
  }

  /// Binds text to parameter `index` (1-based).
  func bind(_ index: Int32, _ text: String) {
    var text = text
    text.withUTF8 { utf8 in
      // A null pointer would bind NULL: an empty string needs a valid one.
      let empty: UInt8 = 0
      if let base = utf8.baseAddress {
        base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
          _ = sqlite3_bind_text(handle, index, $0, Int32(utf8.count), sqliteTransient)
        }
      } else {
        withUnsafePointer(to: empty) { p in
          p.withMemoryRebound(to: CChar.self, capacity: 1) {
            _ = sqlite3_bind_text(handle, index, $0, 0, sqliteTransient)
          }
        }
      }
    }
  }

  /// Binds an integer to parameter `index` (1-based).
  func bind(_ index: Int32, _ value: Int64) {
    _ = sqlite3_bind_int64(handle, index, value)
  }

  /// Binds NULL to parameter `index` (1-based).
  func bindNull(_ index: Int32) {
    _ = sqlite3_bind_null(handle, index)
  }

  /// Binds a blob to parameter `index` (1-based).
  func bind(_ index: Int32, blob: [UInt8]) {
    blob.withUnsafeBytes { raw in
      // A zero-length blob still needs a non-null pointer (null would bind NULL).
      let empty: UInt8 = 0
      if let base = raw.baseAddress {
        _ = sqlite3_bind_blob(handle, index, base, Int32(raw.count), sqliteTransient)
      } else {
        withUnsafePointer(to: empty) { _ = sqlite3_bind_blob(handle, index, $0, 0, sqliteTransient) }
      }
    }
  }

  /// Steps the bound statement once and resets it: whether it returned a row. Throws as `run`.
  func hasRow() throws -> Bool {
    let code = sqlite3_step(handle)
    defer { sqlite3_reset(handle) }
    if code == SQLITE_ROW { return true }
    guard code == SQLITE_DONE else { throw failure() }
    return false
  }

  /// Runs the bound statement to completion (it returns no rows) and resets it. Throws GRDB's
  /// `DatabaseError` with SQLite's extended result code, as GRDB's own `execute` would.
  func run() throws {
    let code = sqlite3_step(handle)
    defer { sqlite3_reset(handle) }
    guard code == SQLITE_DONE else { throw failure() }
  }

  /// GRDB's `DatabaseError` for the step that just failed (SQLite's extended result code, its
  /// message and the statement's SQL, read only now).
  private func failure() -> DatabaseError {
    let db = sqlite3_db_handle(handle)
    let extended = sqlite3_extended_errcode(db)
    let message = sqlite3_errmsg(db).map { String(cString: $0) }
    return DatabaseError(resultCode: ResultCode(rawValue: extended), message: message, sql: statement.sql)
  }
}

/// SQLite's `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns.
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
