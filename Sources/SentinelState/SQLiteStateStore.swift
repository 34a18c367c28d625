// The durable state store: one SQLite file (GRDB on the system libsqlite3) in WAL mode with
// `synchronous=FULL`, one writer connection, one transaction per commit, cached statements.
// Schema: `SQLiteSchema.swift`. Each decision is chained into its tenant's audit chain as it is
// inserted (`AuditChain.swift`; the cached head and the audit reads: `SQLiteStateStore+Audit.swift`).

import Foundation
import GRDB
import GRDBSQLite
import SentinelBytecode
import SentinelModel
import Synchronization

// MARK: - SQLiteStateStore

/// A `StateStore` in a SQLite file: when `commit` returns, the batch is on disk (fsync'd).
public final class SQLiteStateStore: StateStore, DecisionLog, EventIDIndex, Sendable {
  /// The tenant whose state this store reads and writes.
  public let tenant: String
  /// The database file.
  public let path: String
  /// Whether the store was opened read-only (`commit` then throws).
  public let isReadOnly: Bool
  /// The connection; tenants of one file share it (`forTenant`).
  let queue: DatabaseQueue
  /// Each tenant's audit-chain head after the last commit (loaded once; `SQLiteStateStore+Audit`),
  /// shared by the stores of one connection (`forTenant`).
  let chainHeads: ChainHeadCache
  /// The tail of the deferred indexes in memory (`SQLiteStateStore+Fold.swift`), shared by the
  /// stores of one connection.
  let folds: FoldCache

  /// The page cache a store gets unless told otherwise: 32 MiB, sized for replay's batches of
  /// 1,000 events (docs/performance.md, "State store").
  public static let defaultCacheMiB = 32

  /// The page size of a database this store creates, in bytes (`PRAGMA page_size`; an existing
  /// file keeps the size it was created with). A commit writes each page it dirties to the WAL
  /// whole. A small group (the daemon's) dirties about one state page and one event-id index
  /// page per decision, so smaller pages write fewer bytes per decision (`sentinel serve` creates
  /// 2 KiB pages); a batch of hundreds dirties most of those trees' pages whatever their size,
  /// and smaller pages then only cost CPU (docs/performance.md, "Fewer bytes per committed
  /// decision").
  public static let defaultPageSize = 4096

  /// The WAL size at which a commit checkpoints (`PRAGMA wal_autocheckpoint`, which counts
  /// pages: this divided by the file's page size): 40 MiB.
  static let autocheckpointBytes = 40 << 20

  /// Opens (creating it when missing, unless `readOnly`) the state database at `path`.
  /// Throws `StateStoreError.cannotOpen` or `.notAStateDatabase` (a file that is not SQLite, a
  /// database of another application, or one written by a newer SentinelIQ).
  /// `busyTimeout`: how long a write waits for another connection's lock before failing with an
  /// error whose `isBusy` is true.
  ///
  /// `cacheMiB`: SQLite's page cache of the connection, in MiB (`PRAGMA cache_size`). It fills
  /// as the database is read and written, up to this size, and is never given back: a daemon
  /// that must stay within a memory budget takes a small one (`sentinel serve --db-cache-mib`).
  ///
  /// `pageSize`: the page size of a new file (a power of two from 512 to 65,536; SQLite ignores
  /// any other value and keeps its default); an existing file keeps its own.
  ///
  /// `foldEvery`: how many decisions a commit appends before the event-id index and the states
  /// are folded into their key-ordered tables (`SQLiteStateStore+Fold.swift`); the tail in
  /// memory grows with it.
  public init(
    path: String, tenant: String = "default", readOnly: Bool = false, busyTimeout: TimeInterval = 10,
    cacheMiB: Int = SQLiteStateStore.defaultCacheMiB, pageSize: Int = SQLiteStateStore.defaultPageSize,
    foldEvery: Int = SQLiteStateStore.defaultFoldEvery
  ) throws {
    self.tenant = tenant
    self.path = path
    self.isReadOnly = readOnly
    if readOnly && !FileManager.default.fileExists(atPath: path) {
      throw StateStoreError.cannotOpen(path: path, reason: "no such file")
    }
    var config = Configuration()
    config.label = "SentinelState"
    config.readonly = readOnly
    config.busyMode = .timeout(busyTimeout)
    config.prepareDatabase { db in
      // NOTE: WAL with NORMAL survives a process crash but not a power loss; FULL fsyncs the
      // WAL at each commit, so an acknowledged batch survives both (BUILD_NOTES.md). WAL itself
      // is switched on in `prepareSchema`, once the file is known to be ours (GRDB's own WAL
      // setup would also reset `synchronous` to NORMAL).
      // INVARIANT: before anything reads or writes the file: SQLite fixes the page size when
      // it writes the first page, and ignores this for an existing file.
      try db.execute(sql: "PRAGMA page_size = \(pageSize)")
      try db.execute(sql: "PRAGMA synchronous = FULL")
      // NOTE: a batch of 1,000 events dirties a few hundred pages (random event ids and state
      // keys); with SQLite's default 2 MiB cache they are read back from the file at each batch,
      // and with the default checkpoint every 1,000 WAL pages each hot page is copied into the
      // database file at every commit. 32 MiB and 40 MiB of WAL (10,000 pages of 4 KiB) cut the bytes
      // written per event by ~20 % and most reads (docs/performance.md, "State store"). The
      // daemon trades some of that for a bounded resident set (`cacheMiB`).
      try db.execute(sql: "PRAGMA cache_size = \(-1024 * max(1, cacheMiB))")
      // NOTE: Debian's SQLite is built with SECURE_DELETE, so each page a fold frees (the whole
      // `state_log`, every 4 × `foldEvery` keys) was zeroed and written to the WAL once more.
      // FAST still zeroes deleted content inside the pages a statement writes anyway, but not
      // freed pages: 6–8 % fewer bytes per daemon decision (docs/performance.md, "The group
      // answered by one job"). `pruneAudit` turns it back on for its own transaction.
      try db.execute(sql: "PRAGMA secure_delete = FAST")
      if !readOnly {
        // The file's own page size (that of an existing file, or the one just set for a new one).
        let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.autocheckpointBytes / max(512, size))")
      }
    }
    chainHeads = ChainHeadCache()
    folds = FoldCache(threshold: foldEvery)
    do {
      queue = try DatabaseQueue(path: path, configuration: config)
    } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB {
      throw StateStoreError.notAStateDatabase(path: path, reason: "the file is not an SQLite database")
    } catch {
      throw StateStoreError.cannotOpen(path: path, reason: Self.reason(error))
    }
    try prepareSchema()
  }

  /// A store for another tenant of the same database, sharing this store's connection (so
  /// tenants' commits queue on one writer). Close only one of them.
  public func forTenant(_ tenant: String) -> SQLiteStateStore {
    SQLiteStateStore(sharing: self, tenant: tenant)
  }

  private init(sharing other: SQLiteStateStore, tenant: String) {
    self.tenant = tenant
    path = other.path
    isReadOnly = other.isReadOnly
    queue = other.queue
    chainHeads = other.chainHeads
    folds = other.folds
  }

  /// Checks that the file is ours, then creates or upgrades the schema (not when read-only).
  private func prepareSchema() throws {
    let migrator = StateSchema.migrator
    do {
      try queue.inDatabase { db in
        let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let tables = try String.fetchAll(
          db,
          sql:
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        if id != StateSchema.applicationID {
          if id != 0 {
            throw StateStoreError.notAStateDatabase(
              path: path, reason: "application id \(id) is not SentinelIQ's")
          }
          if !tables.isEmpty {
            let shown = tables.prefix(5).map { "`\($0)`" }.joined(separator: ", ")
            throw StateStoreError.notAStateDatabase(path: path, reason: "it holds other tables (\(shown))")
          }
          if isReadOnly {
            throw StateStoreError.notAStateDatabase(path: path, reason: "the database is empty")
          }
        }
        if try migrator.hasBeenSuperseded(db) {
          throw StateStoreError.notAStateDatabase(
            path: path, reason: "its schema is newer than this SentinelIQ (a later version wrote it)")
        }
      }
      if !isReadOnly {
        try queue.inDatabase { db in
          let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
          guard mode == "wal" else {
            throw StateStoreError.cannotOpen(
              path: path, reason: "cannot switch to WAL mode (journal mode is `\(mode ?? "?")`)")
          }
        }
        try migrator.migrate(queue)
      }
      try queue.inDatabase { db in
        guard try migrator.hasCompletedMigrations(db) else {
          throw StateStoreError.notAStateDatabase(path: path, reason: "its schema is incomplete")
        }
        let format = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'format'")
        guard format == StateSchema.format else {
          throw StateStoreError.notAStateDatabase(
            path: path, reason: "meta.format is `\(format ?? "absent")`")
        }
        let encoding = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'state_encoding'")
        guard encoding == String(aggregateStateFormatVersion) else {
          throw StateStoreError.notAStateDatabase(
            path: path,
            reason:
              "aggregate states are in encoding \(encoding ?? "absent"), not \(aggregateStateFormatVersion)")
        }
        let seed = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'event_key_seed'")
        guard let seed, let parsed = EventKey.seed(parsing: seed) else {
          throw StateStoreError.notAStateDatabase(
            path: path, reason: "meta.event_key_seed is `\(seed ?? "absent")`, not 16 hex digits")
        }
        folds.eventKey = EventKey(seed: parsed)
      }
    } catch let e as StateStoreError {
      throw e
    } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB {
      throw StateStoreError.notAStateDatabase(path: path, reason: "the file is not an SQLite database")
    } catch {
      throw StateStoreError.cannotOpen(path: path, reason: Self.reason(error))
    }
  }

  // MARK: - Reading

  /// The stored state for `key`, or nil. Throws `StateStoreError.corruptState` when the stored
  /// bytes do not decode.
  public func loadState(_ key: StateKey) throws -> AggregateState? {
    let blob = try run("load state \(key)") { db -> [UInt8]? in
      // The newest logged state first (`state_log`, in memory), else the folded one.
      if let logged = try syncedFolds(db).states[TenantStateKey(tenant: tenant, key: key)] { return logged }
      let s = try db.cachedStatement(
        sql: "SELECT state FROM aggregate_state WHERE tenant = ? AND aggregate = ? AND key = ?")
      return try Data.fetchOne(s, arguments: [tenant, key.aggregate, key.key]).map { [UInt8]($0) }
    }
    guard let blob else { return nil }
    do {
      return try AggregateState(decoding: blob)
    } catch {
      throw StateStoreError.corruptState(path: path, tenant: tenant, key: key, reason: error.description)
    }
  }

  /// The decision line recorded for this event id, or nil (the tail in memory or one seek in
  /// `event_index` by the id's key and the rows it names, checked by id; a seek in
  /// `pruned_event` when the decision is not in the log, for a record removed by retention).
  public func decisionLine(forEventID id: String) throws -> String? {
    try run("look up event `\(id)`") { db in
      let indexed = try db.cachedStatement(sql: "SELECT d.line \(Self.indexedEventJoin)")
      let byRow = try db.cachedStatement(sql: "SELECT line FROM decision WHERE id = ?")
      let key = folds.eventKey.of(tenant: tenant, eventID: id)
      let line = try lookUpEvent(
        id, db, indexed: { try String.fetchOne(indexed, arguments: [key, tenant, id]) },
        inTail: { try String.fetchOne(byRow, arguments: [$0]) })
      if let line { return line }
      let pruned = try db.cachedStatement(
        sql: "SELECT line FROM pruned_event WHERE tenant = ? AND event_id = ?")
      return try String.fetchOne(pruned, arguments: [tenant, id])
    }
  }

  /// Every event id recorded for the tenant, pruned ones included: the decision log's (indexed
  /// or in the tail) and `pruned_event`'s.
  public func allEventIDs() throws -> Set<String> {
    try run("read event ids") { db in
      var out = Set<String>()
      for table in ["decision", "pruned_event"] {
        let rows = try String.fetchCursor(
          db, sql: "SELECT event_id FROM \(table) WHERE tenant = ?", arguments: [tenant])
        while let id = try rows.next() { out.insert(id) }
      }
      return out
    }
  }

  /// Every aggregate state stored for the tenant (one scan). Throws
  /// `StateStoreError.corruptState` for a state that does not decode.
  public func allStates() throws -> [StateKey: AggregateState] {
    let (rows, logged) = try run("read states") { db in
      let rows = try Row.fetchAll(
        db, sql: "SELECT aggregate, key, state FROM aggregate_state WHERE tenant = ?", arguments: [tenant])
      let logged = try syncedFolds(db).states.filter { $0.key.tenant == tenant }
      return (rows, logged)
    }
    var out: [StateKey: AggregateState] = [:]
    out.reserveCapacity(rows.count + logged.count)
    func decode(_ key: StateKey, _ bytes: [UInt8]) throws {
      do {
        out[key] = try AggregateState(decoding: bytes)
      } catch {
        throw StateStoreError.corruptState(path: path, tenant: tenant, key: key, reason: error.description)
      }
    }
    for row in rows {
      let key = StateKey(aggregate: row["aggregate"], key: row["key"])
      guard logged[TenantStateKey(tenant: tenant, key: key)] == nil else { continue }
      let blob: Data = row["state"]
      try decode(key, [UInt8](blob))
    }
    for (k, bytes) in logged { try decode(k.key, bytes) }
    return out
  }

  /// The number of decisions recorded for the tenant.
  public func decisionCount() throws -> Int {
    try run("count decisions") { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decision WHERE tenant = ?", arguments: [tenant]) ?? 0
    }
  }

  /// The number of aggregate states stored for the tenant.
  public func stateCount() throws -> Int {
    try run("count states") { db in
      var n =
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM aggregate_state WHERE tenant = ?", arguments: [tenant])
        ?? 0
      // Logged states of keys not folded yet.
      let probe = try db.cachedStatement(
        sql: "SELECT 1 FROM aggregate_state WHERE tenant = ? AND aggregate = ? AND key = ?")
      for k in try syncedFolds(db).states.keys where k.tenant == tenant {
        if try Int.fetchOne(probe, arguments: [tenant, k.key.aggregate, k.key.key]) == nil { n += 1 }
      }
      return n
    }
  }

  /// Calls `body` with each decision after `sequence`, in sequence order, until it returns
  /// false. Reads in pages and calls `body` outside the database lock, so `body` may use the
  /// store.
  public func forEachDecision(after sequence: Int64, _ body: (LoggedDecision) throws -> Bool) throws {
    var after = sequence
    while true {
      let page = try run("read decisions") { db in
        let s = try db.cachedStatement(
          sql: """
            SELECT seq, event_id, line, action, score, rules, event_seconds, event_nanos, bundle_digest
            FROM decision WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT 512
            """)
        return try Row.fetchAll(s, arguments: [tenant, after])
      }
      if page.isEmpty { return }
      for row in page {
        let d = try decision(from: row)
        after = d.sequence
        if try !body(d) { return }
      }
    }
  }

  private func decision(from row: Row) throws -> LoggedDecision {
    LoggedDecision(sequence: row["seq"], record: try AuditRows.record(row, tenant: tenant, path: path))
  }

  // MARK: - Writing

  /// Applies a batch in one transaction: its states (one `state_log` row), then its decisions
  /// with increasing sequence numbers, and every `foldEvery` decisions a fold
  /// (`SQLiteStateStore+Fold.swift`). A duplicate event id rolls the whole batch back and throws
  /// `StateStoreError.duplicateEventID`. When this returns, the batch is durable.
  public func commit(_ batch: StateBatch) throws {
    _ = try commitReportingOutbox(batch)
  }

  /// `commit`, and what it wrote to the outbox: the ids of the batch's outbox rows and, when
  /// the batch asks (`StateBatch.outboxUnpublishedCheckAfter`), whether they follow every other
  /// unpublished row (a stream consumer then publishes them from memory instead of reading
  /// them back).
  public func commitReportingOutbox(_ batch: StateBatch) throws -> OutboxWrite {
    var written = OutboxWrite(ids: nil, followsUnpublished: false)
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    if batch.isEmpty { return written }
    // The cached chain head moves only once the transaction is committed; any failure drops it,
    // so the next commit reads the head from the database again.
    var newHead: AuditHead?
    var committed = false
    defer {
      settleChainHead(newHead, committed: committed)
      // The cache was changed as the rows went in: after a rollback it is read again.
      if !committed { _ = try? run("forget the fold cache") { _ in folds.invalidate() } }
    }
    try run("commit a batch of \(batch.states.count) states and \(batch.decisions.count) decisions") { db in
      try db.inTransaction(.immediate) {
        try checkFence(batch, db)
        let folds = try syncedFolds(db)
        if !batch.decisions.isEmpty { try buildEventFilterIfNeeded(db) }
        // Event ids fold every `threshold` decisions; states when 4 × `threshold` keys or
        // `stateLogLimit` bytes are logged (an upsert costs several index inserts, and the more
        // commits a fold spans, the more of a key's versions it skips).
        let foldIDs = folds.tail.count + batch.decisions.count >= folds.threshold
        let foldHere =
          folds.states.count + batch.states.count >= 4 * folds.threshold
          || folds.logBytes >= Self.stateLogLimit
        // The batch's states: one log row (later entries for a key win), or, when this commit
        // folds them, straight into `aggregate_state` with the logged ones.
        var pending: [(TenantStateKey, [UInt8])] = []
        if !batch.states.isEmpty {
          var entries = ByteWriter()
          pending.reserveCapacity(batch.states.count)
          for (key, state) in batch.states {
            let bytes = state.encoded()
            if !foldHere { StateLog.append(key, bytes, to: &entries) }
            pending.append((TenantStateKey(tenant: tenant, key: key), bytes))
          }
          if !foldHere {
            let log = RawStatement(
              try db.cachedStatement(sql: "INSERT INTO state_log (tenant, entries) VALUES (?, ?)"))
            log.bind(1, tenant)
            log.bind(2, blob: entries.out)
            try log.run()
            folds.logBytes += entries.out.count
            for (k, bytes) in pending { folds.states[k] = bytes }
            pending.removeAll()
          }
        }
        var seqs: [Int64] = []
        if !batch.decisions.isEmpty {
          var head = try chainHead(db)
          // Links computed ahead (SQLiteStateStore+Prelink.swift) when they follow this head.
          let pre = batch.prelinked.flatMap { $0.applies(to: batch.decisions, after: head) ? $0 : nil }
          let decidedAt = pre?.decidedAt ?? Self.commitTime(after: head)
          let insert = try db.cachedStatement(
            sql: """
              INSERT INTO decision (tenant, event_id, seq, line, action, score, rules, event_seconds,
                event_nanos, bundle_digest, decided_at, prev_hash, hash)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              """)
          let rawInsert = RawStatement(insert)
          let probe = RawStatement(try db.cachedStatement(sql: "SELECT 1 \(Self.indexedEventJoin)"))
          // Bindings stay across steps: the tenant and commit time once, the digest when it changes.
          rawInsert.bind(1, tenant)
          rawInsert.bind(11, decidedAt)
          var boundDigest: String?
          if !batch.outbox.isEmpty { seqs.reserveCapacity(batch.decisions.count) }
          for (i, d) in batch.decisions.enumerated() {
            // Recorded before (the tail, the index) or earlier in this batch (now in the tail).
            let key = TenantEventKey(tenant: tenant, eventID: d.eventID)
            let seen = try folds.tail[key] != nil || indexedEventExists(probe, d.eventID)
            if seen {
              throw StateStoreError.duplicateEventID(path: path, tenant: tenant, eventID: d.eventID)
            }
            let prev = head.hash
            if let pre {
              head = AuditHead(seq: head.seq + 1, hash: pre.hashes[i], decidedAt: decidedAt)
            } else {
              head = try link(d, after: head, decidedAt: decidedAt)
            }
            rawInsert.bind(2, d.eventID)
            rawInsert.bind(3, head.seq)
            rawInsert.bind(4, d.line)
            rawInsert.bind(5, d.action)
            rawInsert.bind(6, Int64(d.score))
            rawInsert.bind(7, Self.rulesJSON(d.rules))
            rawInsert.bind(8, d.eventTime.seconds)
            rawInsert.bind(9, Int64(d.eventTime.nanos))
            if d.bundleDigest != boundDigest {
              rawInsert.bind(10, d.bundleDigest)
              boundDigest = d.bundleDigest
            }
            rawInsert.bind(12, prev)
            rawInsert.bind(13, head.hash)
            try rawInsert.run()
            folds.tail[key] = db.lastInsertedRowID
            if !batch.outbox.isEmpty { seqs.append(head.seq) }
          }
          newHead = head
        }
        if let after = batch.outboxUnpublishedCheckAfter, !batch.outbox.isEmpty {
          written.followsUnpublished = try !hasUnpublishedOutbox(after: after, db)
        }
        written.ids = try insertOutbox(batch.outbox, decisions: batch.decisions, seqs: seqs, db)
        if let through = batch.markOutboxPublishedThrough { try markOutboxPublished(through: through, db) }
        if foldIDs { try foldEventIDs(db) }
        if foldHere { try foldStates(db, pending: pending) }
        return .commit
      }
    }
    committed = true
    return written
  }

  /// The `rules` column: the matched rule ids as a JSON array.
  static func rulesJSON(_ rules: [String]) -> String {
    var out = "["
    for (i, r) in rules.enumerated() {
      if i > 0 { out += "," }
      out += JSONWriter.quote(r)
    }
    return out + "]"
  }

  // MARK: - Lifecycle

  /// Checkpoints the WAL into the main file and closes the connection; the store is unusable
  /// afterwards.
  public func close() throws {
    try run("close") { db in
      guard !isReadOnly else { return }
      do {
        try db.checkpoint(.truncate)
      } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
        // Another connection (another process on the same file) is reading or writing: the WAL
        // stays, and is checkpointed by a later commit or close. Nothing committed is at risk.
      }
    }
    do { try queue.close() } catch {
      throw StateStoreError.database(
        path: path, operation: "close", reason: Self.reason(error), code: Self.resultCode(error))
    }
  }

  /// Whether the connection holds no SQLite lock: no transaction open and no statement
  /// stepping (test fault injection freezes a process only then).
  public var isBetweenTransactions: Bool {
    queue.inDatabase { db in
      if db.isInsideTransaction { return false }
      var s = sqlite3_next_stmt(db.sqliteConnection, nil)
      while let stmt = s {
        if sqlite3_stmt_busy(stmt) != 0 { return false }
        s = sqlite3_next_stmt(db.sqliteConnection, stmt)
      }
      return true
    }
  }

  /// The value of a pragma (for tests and diagnostics: `journal_mode`, `synchronous`).
  public func pragma(_ name: String) throws -> String? {
    try run("read pragma \(name)") { db in
      try String.fetchOne(db, sql: "PRAGMA \(name)")
    }
  }

  // MARK: - Errors

  /// Runs `body` on the connection, turning database errors into `StateStoreError.database`.
  func run<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
    do {
      return try queue.inDatabase(body)
    } catch let e as StateStoreError {
      throw e
    } catch let e as AuditPruneError {
      throw e
    } catch let e as StateFenceError {
      throw e
    } catch {
      throw StateStoreError.database(
        path: path, operation: operation, reason: Self.reason(error), code: Self.resultCode(error))
    }
  }

  /// SQLite's extended result code, when `error` is SQLite's.
  static func resultCode(_ error: any Error) -> Int32? {
    (error as? DatabaseError)?.extendedResultCode.rawValue
  }

  static func reason(_ error: any Error) -> String {
    if let e = error as? DatabaseError {
      return "SQLite error \(e.extendedResultCode.rawValue): \(e.message ?? "\(e.resultCode)")"
    }
    return "\(error)"
  }
}
