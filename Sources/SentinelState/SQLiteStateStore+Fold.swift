// Deferred indexes: the event-id index and the aggregate states are written in bulk and in key
// order, every few thousand decisions (`foldEvery`), instead of one random B-tree page per row at every
// commit (random event ids and state keys put each insert on another page: a commit of 1,000
// decisions wrote ~700 scattered pages; docs/performance.md, "Deferred indexes").
//
//   decision     rows append in commit order (rowid `id`); those above `fold_mark.indexed_through`
//                (the tail) are not in `event_index` yet.
//   event_index  (key, decision id), WITHOUT ROWID, `key` a 64-bit keyed hash of the tenant and
//                event id (`EventKey.swift`; v6): every decision at or below the mark (a pruned
//                decision's entry goes with it; `pruned_event` keeps its line). A read seeks the
//                key and compares the rows it names exactly, so ids sharing a key stay apart.
//   state_log    one row per commit and tenant: the states the commit wrote (`StateLog`), in
//                commit order; a state there overrides the one in `aggregate_state`.
//   fold_mark    one row: `indexed_through`.
// Folds run at the end of the commit that reaches their threshold, in its transaction. Every
// `foldEvery` decisions the tail's event ids go into `event_index` sorted and the mark moves;
// when `4 × foldEvery` distinct state keys (or 32 MiB) are logged, the newest state of each
// goes into `aggregate_state` sorted and `state_log` is emptied. An upsert costs several times an
// index insert (~5.4 µs against ~1.1 µs beyond the binding's own cost: `bench/fold_costs.py`), and the longer the span a state fold covers, the more of a
// key's versions it skips. A crash before or after a commit leaves the tables consistent either
// way: the tail and the log are ordinary rows, read back on open.
//
// The connection keeps the tail in memory (`FoldCache`): event id → decision id, and state key →
// newest logged bytes. It is valid for one `PRAGMA data_version` of the connection: another
// connection's commit changes that value, and the cache is then read again from the tables (at
// most one fold's worth of rows). A commit checks its event ids against the tail in memory and
// against `event_index` (a Bloom filter of its ids first, one read only when the filter may hold
// the id), so an event id is still recorded once per tenant.

import Foundation
import GRDB
import GRDBSQLite
import SentinelBytecode
import SentinelModel

// MARK: - Cache

/// An event id of a tenant.
struct TenantEventKey: Hashable {
  var tenant: String
  var eventID: String
}

/// A state key of a tenant.
struct TenantStateKey: Hashable {
  var tenant: String
  var key: StateKey
}

/// What the tables hold above the fold mark, in memory, shared by the stores of one connection.
///
/// INVARIANT: read and written only inside the connection's serialized access
/// (`DatabaseQueue.inDatabase`, which runs one closure at a time), hence `@unchecked Sendable`.
final class FoldCache: @unchecked Sendable {
  /// Decisions between folds (`SQLiteStateStore(foldEvery:)`).
  let threshold: Int
  /// The connection's `PRAGMA data_version` the cache is valid for; nil: read it again.
  var version: Int64?
  /// `fold_mark.indexed_through`.
  var indexedThrough: Int64 = 0
  /// The tail: decisions above the mark, by event id.
  var tail: [TenantEventKey: Int64] = [:]
  /// The newest logged bytes of each state in `state_log`.
  var states: [TenantStateKey: [UInt8]] = [:]
  /// The bytes of `state_log`'s entries.
  var logBytes = 0
  /// The ids in `event_index` (a superset: a Bloom filter), built on first use; nil when it
  /// must be built (again).
  var filter: EventIDFilter?
  /// The file's `event_index` key (its seed is read when the store opens).
  var eventKey = EventKey(seed: 0)

  init(threshold: Int) {
    self.threshold = max(1, threshold)
  }

  /// Forgets everything: the next use reads the tables again (after a failed transaction, whose
  /// changes to the cache may not have reached the file).
  func invalidate() {
    version = nil
    tail.removeAll()
    states.removeAll()
    logBytes = 0
  }
}

// MARK: - The log's form

/// The `state_log.entries` form, in `ByteWriter`'s encoding (that of the aggregate states): for
/// each state, its aggregate name and key form as strings and its encoded state
/// (`AggregateState.encoded()`) as a length-prefixed run of bytes.
enum StateLog {
  /// Appends one entry.
  static func append(_ key: StateKey, _ state: [UInt8], to w: inout ByteWriter) {
    w.string(key.aggregate)
    w.string(key.key)
    w.u32(UInt32(state.count))
    w.bytes(state)
  }

  /// Calls `body` with each entry, in order; throws with the byte offset when the bytes are not
  /// in this form.
  static func decode(_ bytes: [UInt8], _ body: (StateKey, [UInt8]) -> Void) throws(BytecodeError) {
    var r = ByteReader(bytes, maxCount: .max)
    while r.remaining > 0 {
      let aggregate = try r.string()
      let key = try r.string()
      let n = try r.count("state byte")
      body(StateKey(aggregate: aggregate, key: key), try r.take(n))
    }
  }
}

// MARK: - Store

extension SQLiteStateStore {
  /// Decisions between two folds of the event ids unless told otherwise: 16,384. The tail in
  /// memory grows with it (a daemon that never folded held ~26 MB more after 72,500 decisions,
  /// ~360 bytes per decision: docs/performance.md, "Deferred indexes").
  public static let defaultFoldEvery = 16_384

  /// The cache, valid for the connection's current `data_version` (read again when another
  /// connection committed since, or after a failure).
  func syncedFolds(_ db: Database) throws -> FoldCache {
    let version = try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? -1
    if folds.version == version { return folds }
    let known = folds.indexedThrough
    folds.invalidate()
    let mark = try Int64.fetchOne(db, sql: "SELECT indexed_through FROM fold_mark") ?? 0
    // Another connection folded (or pruned): the filter may lack ids it indexed.
    if mark != known { folds.filter = nil }
    folds.indexedThrough = mark
    let rows = try Row.fetchCursor(
      db, sql: "SELECT id, tenant, event_id FROM decision WHERE id > ?", arguments: [mark])
    while let row = try rows.next() {
      folds.tail[TenantEventKey(tenant: row[1], eventID: row[2])] = row[0]
    }
    let logs = try Row.fetchCursor(db, sql: "SELECT id, tenant, entries FROM state_log ORDER BY id")
    while let row = try logs.next() {
      let t: String = row[1]
      let entries: [UInt8] = [UInt8]((row[2] as Data?) ?? Data())
      folds.logBytes += entries.count
      do {
        try StateLog.decode(entries) { key, bytes in folds.states[TenantStateKey(tenant: t, key: key)] = bytes
        }
      } catch {
        let id: Int64 = row[0]
        throw StateStoreError.database(
          path: path, operation: "read the state log",
          reason: "state_log row \(id) is malformed at byte \(error.offset): \(error.message)")
      }
    }
    folds.version = version
    return folds
  }

  /// The tenant's decision for `eventID`: `indexed` reads it through `event_index` (joined as
  /// the caller needs), `inTail` through its rowid in the tail. The index comes first, in one
  /// statement without the tail's version check: each statement run outside a transaction takes
  /// and releases the WAL's read lock (`fcntl`). When the tail is read again (another connection
  /// committed since), the index is asked once more: that connection may have folded the id.
  func lookUpEvent<T>(
    _ id: String, _ db: Database, indexed: () throws -> T?, inTail: (Int64) throws -> T?
  ) throws -> T? {
    if let found = try indexed() { return found }
    let known = folds.version
    let folds = try syncedFolds(db)
    if let row = folds.tail[TenantEventKey(tenant: tenant, eventID: id)] { return try inTail(row) }
    return folds.version != known ? try indexed() : nil
  }

  /// The tenant's indexed decision for an event id: `FROM` and `WHERE` with the key, tenant and
  /// event id as arguments. `event_index` is read first (CROSS JOIN fixes the order: the
  /// planner might otherwise walk the tenant's decisions by `decision_by_seq`), then each row
  /// the key names, by rowid, compared exactly.
  static let indexedEventJoin = """
    FROM event_index AS e CROSS JOIN decision AS d ON d.id = e.decision_id
      WHERE e.key = ? AND d.tenant = ? AND d.event_id = ?
    """

  /// The rowid of the tenant's decision for `eventID`. The row itself may be gone (pruned since,
  /// by this connection).
  func decisionRowID(forEventID id: String, _ db: Database) throws -> Int64? {
    let s = try db.cachedStatement(sql: "SELECT e.decision_id \(Self.indexedEventJoin)")
    let key = folds.eventKey.of(tenant: tenant, eventID: id)
    return try lookUpEvent(
      id, db, indexed: { try Int64.fetchOne(s, arguments: [key, tenant, id]) }, inTail: { $0 })
  }

  /// Keeps only the low `bits` bits of this connection's `event_index` keys, so that tests can
  /// make ids collide (call it right after opening, before anything is written or read).
  package func narrowEventKeysForTesting(bits: Int) throws {
    try run("narrow the event keys") { _ in
      folds.eventKey.mask = bits >= 64 ? .max : (1 << UInt64(max(0, bits))) - 1
      folds.filter = nil
    }
  }

  /// Inside a commit's transaction, after `syncedFolds`: builds the filter of indexed ids when
  /// there is none (one scan of `event_index`, sized for twice its rows and at least eight
  /// folds, so that it is not rebuilt at every fold of a young file).
  func buildEventFilterIfNeeded(_ db: Database) throws {
    guard folds.filter == nil else { return }
    let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event_index") ?? 0
    var filter = EventIDFilter(capacity: max(2 * rows, 8 * folds.threshold))
    let keys = try Int64.fetchCursor(db, sql: "SELECT key FROM event_index")
    while let key = try keys.next() { filter.insert(key) }
    folds.filter = filter
  }

  /// Inside a commit's transaction: whether `event_index` holds the tenant's `eventID` (the
  /// filter first, then one seek when it may).
  func indexedEventExists(_ probe: RawStatement, _ eventID: String) throws -> Bool {
    let key = folds.eventKey.of(tenant: tenant, eventID: eventID)
    if let filter = folds.filter, !filter.mightContain(key) { return false }
    probe.bind(1, key)
    probe.bind(2, tenant)
    probe.bind(3, eventID)
    return try probe.hasRow()
  }

  /// The state log's size at which a commit folds the states whatever their number: 32 MiB.
  static let stateLogLimit = 32 << 20

  /// Inside a commit's transaction, after its rows: moves the tail into `event_index` in key
  /// order and moves the mark. On a failure the caller invalidates the cache.
  func foldEventIDs(_ db: Database) throws {
    // The tail's entries in key order (integers: the sort costs no string comparison), each
    // insert next to the one before.
    var rows: [(Int64, Int64)] = []
    if !folds.tail.isEmpty {
      let eventKey = folds.eventKey
      rows.reserveCapacity(folds.tail.count)
      for (k, row) in folds.tail { rows.append((eventKey.of(tenant: k.tenant, eventID: k.eventID), row)) }
      rows.sort { $0 < $1 }
      let insert = RawStatement(
        try db.cachedStatement(sql: "INSERT INTO event_index (key, decision_id) VALUES (?, ?)"))
      for (key, row) in rows {
        insert.bind(1, key)
        insert.bind(2, row)
        try insert.run()
      }
    }
    let mark = try Int64.fetchOne(db, sql: "SELECT ifnull(max(id), 0) FROM decision") ?? 0
    try db.execute(sql: "UPDATE fold_mark SET indexed_through = ?", arguments: [mark])
    if folds.filter != nil {
      for (key, _) in rows { folds.filter?.insert(key) }
      // Full: built again, twice as large, by the next commit.
      if let f = folds.filter, f.count > f.capacity { folds.filter = nil }
    }
    folds.tail.removeAll(keepingCapacity: true)
    folds.indexedThrough = mark
  }

  /// Inside a commit's transaction, after its rows: upserts the logged states (with `pending`,
  /// this commit's, which were not logged) into `aggregate_state` in key order and empties
  /// `state_log`. On a failure the caller invalidates the cache.
  func foldStates(_ db: Database, pending: [(TenantStateKey, [UInt8])]) throws {
    for (k, bytes) in pending { folds.states[k] = bytes }
    if !folds.states.isEmpty {
      let states = folds.states.sorted { a, b in
        if a.key.tenant != b.key.tenant { return a.key.tenant < b.key.tenant }
        if a.key.key.aggregate != b.key.key.aggregate { return a.key.key.aggregate < b.key.key.aggregate }
        return a.key.key.key < b.key.key.key
      }
      let upsert = RawStatement(
        try db.cachedStatement(
          sql: """
            INSERT INTO aggregate_state (tenant, aggregate, key, state) VALUES (?, ?, ?, ?)
            ON CONFLICT (tenant, aggregate, key) DO UPDATE SET state = excluded.state
            """))
      for (k, bytes) in states {
        upsert.bind(1, k.tenant)
        upsert.bind(2, k.key.aggregate)
        upsert.bind(3, k.key.key)
        upsert.bind(4, blob: bytes)
        try upsert.run()
      }
    }
    try db.execute(sql: "DELETE FROM state_log")
    folds.states.removeAll(keepingCapacity: true)
    folds.logBytes = 0
  }

  /// Folds now, whatever the tail's size: every event id indexed, every state in
  /// `aggregate_state`, `state_log` empty (`sentinel` maintenance, tests). One transaction.
  public func foldNow() throws {
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    try run("fold the deferred indexes") { db in
      do {
        try db.inTransaction(.immediate) {
          _ = try syncedFolds(db)
          try foldEventIDs(db)
          try foldStates(db, pending: [])
          return .commit
        }
      } catch {
        folds.invalidate()
        throw error
      }
    }
  }

  /// How many decisions and logged states wait for the next fold (the tail in memory).
  public func foldBacklog() throws -> (decisions: Int, states: Int) {
    try run("read the fold backlog") { db in
      let folds = try syncedFolds(db)
      return (folds.tail.count, folds.states.count)
    }
  }
}

// MARK: - Filter of indexed event ids

/// A Bloom filter over the keys in `event_index`: a commit asks SQLite about
/// an event id only when the filter says it may be there (at 10 bits per id and 7 probes, about
/// 1 % of new ids by the usual false-positive formula), instead of one B-tree seek per decision. Built from the table on first use,
/// rebuilt twice as large when full, and dropped when another connection moved the fold mark
/// (its fold indexed ids this connection has not seen).
struct EventIDFilter {
  private var bits: [UInt64]
  private let mask: UInt64
  /// Ids inserted.
  private(set) var count = 0
  /// Ids it holds at ~1 % false positives.
  let capacity: Int

  /// A filter for up to `capacity` ids (at least 4,096).
  init(capacity: Int) {
    var words = 64
    while words * 64 < max(4096, capacity) * 10 { words *= 2 }
    bits = [UInt64](repeating: 0, count: words)
    mask = UInt64(words * 64 - 1)
    self.capacity = words * 64 / 10
  }

  /// Records an id by its `event_index` key.
  mutating func insert(_ key: Int64) {
    let (a, b) = Self.hashes(key)
    for i in 0..<7 {
      let bit = (a &+ UInt64(i) &* b) & mask
      bits[Int(bit >> 6)] |= 1 << (bit & 63)
    }
    count += 1
  }

  /// False when the id of this key was certainly never inserted.
  func mightContain(_ key: Int64) -> Bool {
    let (a, b) = Self.hashes(key)
    for i in 0..<7 {
      let bit = (a &+ UInt64(i) &* b) & mask
      if bits[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
    }
    return true
  }

  /// Two hashes of the key for double hashing (the 7 probes): the key itself (already a keyed
  /// hash of the tenant and event id) and a mix of it.
  static func hashes(_ key: Int64) -> (UInt64, UInt64) {
    let h = UInt64(bitPattern: key)
    var z = h ^ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
    z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
    return (h, (z ^ (z >> 33)) | 1)
  }
}
