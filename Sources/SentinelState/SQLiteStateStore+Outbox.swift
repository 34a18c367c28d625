// The transactional outbox of a stream consumer (table `outbox`, migration `v2_outbox`), and the
// fence that keeps two writers of one tenant from overwriting each other's state.
//
// A consumer commits, in ONE transaction, the states and decisions of a batch and an outbox row
// for every entry it must write to Redis (a decision, a dead letter). Only then does it write
// them to Redis, and it marks them published afterwards — in the transaction of its next commit
// (`StateBatch.markOutboxPublishedThrough`), or on its own when it has nothing to commit. A crash
// in between leaves unpublished rows, which are written again on the next start: at least once
// to Redis, and exactly once with the publication watermark the consumer keeps beside them in
// Redis (`StreamConsumer`).
//
// A decision's row does not copy its line: it names the decision (`decision_seq`, migration
// `v4_append_only_log`) and the line is read from the decision log when the row is published.
// Retention (`pruneAudit`) copies the line into the row before it removes a decision that is not
// yet published.

import GRDB

/// One row of the outbox: something a stream consumer must write to Redis.
public struct OutboxRecord: Sendable, Equatable {
  /// What the row carries.
  public enum Kind: String, Sendable {
    /// A decision line for the output stream (field `decision`).
    case decision
    /// A dead letter (fields `event`, the raw entry, and `error`).
    case deadLetter = "dead_letter"
  }

  /// The row id (increasing in commit order); 0 until stored.
  public var id: Int64
  /// The stream to write to.
  public var stream: String
  /// Decision or dead letter.
  public var kind: Kind
  /// The decision line, or the dead letter's raw event.
  public var body: String
  /// The dead letter's reason (nil for a decision).
  public var error: String?
  /// A decision's event id: when the decision is committed with the row (or before it), the
  /// stored row names the decision instead of copying `body`. Not read back (nil).
  public var eventID: String?

  /// An outbox row (`id` is assigned when it is stored).
  public init(
    id: Int64 = 0, stream: String, kind: Kind, body: String, error: String? = nil, eventID: String? = nil
  ) {
    self.id = id
    self.stream = stream
    self.kind = kind
    self.body = body
    self.error = error
    self.eventID = eventID
  }
}

/// What a commit wrote to the outbox (`SQLiteStateStore.commitReportingOutbox`).
public struct OutboxWrite: Sendable, Equatable {
  /// The ids the batch's outbox rows were given, in the batch's order (consecutive); nil when
  /// the batch had none (or, which should not happen, their ids were not consecutive).
  public var ids: ClosedRange<Int64>?
  /// Whether the batch asked (`StateBatch.outboxUnpublishedCheckAfter`) and, in the commit's
  /// transaction, before the batch's rows, the outbox held no unpublished row above the id it
  /// gave: then the unpublished rows above that id are exactly the batch's.
  public var followsUnpublished: Bool

  /// A report.
  public init(ids: ClosedRange<Int64>?, followsUnpublished: Bool) {
    self.ids = ids
    self.followsUnpublished = followsUnpublished
  }
}

/// A fenced commit found another writer's decisions after the sequence number it expected: its
/// cached state may be stale, so nothing was written.
public struct StateFenceError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The database file.
  public var path: String
  /// The tenant.
  public var tenant: String
  /// The last sequence number the writer expected.
  public var expected: Int64
  /// The last sequence number found.
  public var found: Int64

  /// A one-line message.
  public var description: String {
    "state database `\(path)`: tenant `\(tenant)` was written by another writer "
      + "(last decision \(found), expected \(expected)); batch not committed"
  }
}

extension SQLiteStateStore {
  /// The last decision sequence number of the tenant (0 when it has none): the fence value for
  /// `StateBatch.expectedLastSequence`.
  public func lastSequence() throws -> Int64 {
    try run("read the last sequence number") { db in try Self.lastSequence(tenant, db) }
  }

  static func lastSequence(_ tenant: String, _ db: Database) throws -> Int64 {
    let s = try db.cachedStatement(sql: "SELECT MAX(seq) FROM decision WHERE tenant = ?")
    return try Int64.fetchOne(s, arguments: [tenant]) ?? 0
  }

  /// Inside `commit`'s transaction: fails when the batch is fenced and another writer committed.
  func checkFence(_ batch: StateBatch, _ db: Database) throws {
    guard let expected = batch.expectedLastSequence else { return }
    let found = try Self.lastSequence(tenant, db)
    if found != expected {
      throw StateFenceError(path: path, tenant: tenant, expected: expected, found: found)
    }
  }

  /// Rows per multi-row INSERT of `insertOutbox` (6 parameters each).
  static let outboxInsertChunk = 32

  /// Inside `commit`'s transaction: appends the batch's outbox rows, in order, and returns the
  /// ids they were given (consecutive: AUTOINCREMENT ids only grow, and this connection holds
  /// the write lock), or nil when there are none (or, which should not happen, they are not
  /// consecutive: then nobody may assume which row got which id). A decision row whose event
  /// id is decided (in this batch: `decisions`, whose sequence numbers are `seqs`; else already
  /// stored) names the decision; any other row stores its body. A consumer's decision rows come
  /// in the order of its decisions: each is matched with the next decision (one comparison of
  /// ids), and only a row out of that order is looked up by id.
  ///
  /// NOTE: rows go in `outboxInsertChunk` at a time, one statement each: with AUTOINCREMENT,
  /// every INSERT statement also reads and rewrites the table's `sqlite_sequence` row, so a
  /// statement per row paid that once per row (docs/performance.md, "Redis Streams").
  func insertOutbox(
    _ rows: [OutboxRecord], decisions: [DecisionRecord], seqs: [Int64], _ db: Database
  ) throws -> ClosedRange<Int64>? {
    if rows.isEmpty { return nil }
    var nextDecision = 0
    var seqByEventID: [String: Int64]?
    func seqOf(_ id: String) throws -> Int64? {
      if nextDecision < seqs.count, decisions[nextDecision].eventID == id {
        nextDecision += 1
        return seqs[nextDecision - 1]
      }
      if seqByEventID == nil {
        var index: [String: Int64] = [:]
        for (d, s) in zip(decisions, seqs) { index[d.eventID] = s }
        seqByEventID = index
      }
      return try seqByEventID?[id] ?? decisionSeq(forEventID: id, db)
    }
    let chunk = Self.outboxInsertChunk
    let one = "(?, ?, ?, ?, ?, ?)"
    let head = "INSERT INTO outbox (tenant, stream, kind, decision_seq, body, error) VALUES "
    let many = RawStatement(
      try db.cachedStatement(sql: head + Array(repeating: one, count: chunk).joined(separator: ", ")))
    let single = RawStatement(try db.cachedStatement(sql: head + one))
    var first: Int64?
    var start = 0
    while start < rows.count {
      let n = rows.count - start >= chunk ? chunk : 1
      let insert = n == chunk ? many : single
      for i in 0..<n {
        let r = rows[start + i]
        let base = Int32(6 * i)
        var seq: Int64?
        if r.kind == .decision, let id = r.eventID {
          seq = try seqOf(id)
        }
        insert.bind(base + 1, tenant)
        insert.bind(base + 2, r.stream)
        insert.bind(base + 3, r.kind.rawValue)
        if let seq {
          insert.bind(base + 4, seq)
          insert.bindNull(base + 5)
        } else {
          insert.bindNull(base + 4)
          insert.bind(base + 5, r.body)
        }
        if let e = r.error { insert.bind(base + 6, e) } else { insert.bindNull(base + 6) }
      }
      try insert.run()
      if first == nil { first = db.lastInsertedRowID - Int64(n) + 1 }
      start += n
    }
    let last = db.lastInsertedRowID
    guard let first, last - first + 1 == Int64(rows.count) else { return nil }
    return first...last
  }

  /// Inside `commit`'s transaction, before the batch's outbox rows: whether the outbox holds an
  /// unpublished row with an id above `id` (one probe of the index of unpublished rows).
  func hasUnpublishedOutbox(after id: Int64, _ db: Database) throws -> Bool {
    let s = try db.cachedStatement(
      sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE published = 0 AND id > ?)")
    return try Bool.fetchOne(s, arguments: [id]) ?? false
  }

  /// The sequence number of the tenant's decision for `eventID`, if it is in the log.
  func decisionSeq(forEventID id: String, _ db: Database) throws -> Int64? {
    guard let row = try decisionRowID(forEventID: id, db) else { return nil }
    let s = try db.cachedStatement(sql: "SELECT seq FROM decision WHERE id = ?")
    return try Int64.fetchOne(s, arguments: [row])
  }

  /// The id naming this database to Redis (random, fixed when the outbox table was created).
  public func outboxSourceID() throws -> String {
    try run("read the outbox source id") { db in
      try String.fetchOne(db, sql: "SELECT id FROM outbox_source LIMIT 1") ?? "unknown"
    }
  }

  /// Up to `limit` unpublished outbox rows of every tenant with an id above `after`, in id
  /// order (commit order); a decision's body is its line in the decision log.
  public func unpublishedOutbox(after: Int64 = 0, limit: Int = 10_000) throws -> [OutboxRecord] {
    try run("read the outbox") { db in
      let s = try db.cachedStatement(
        sql: """
          SELECT o.id, o.stream, o.kind, ifnull(o.body, d.line) AS body, o.error FROM outbox AS o
            LEFT JOIN decision AS d ON o.decision_seq IS NOT NULL AND d.tenant = o.tenant AND d.seq = o.decision_seq
            WHERE o.published = 0 AND o.id > ? ORDER BY o.id LIMIT ?
          """)
      return try Row.fetchAll(s, arguments: [after, limit]).map { row in
        let kind = OutboxRecord.Kind(rawValue: row["kind"]) ?? .deadLetter
        guard let body: String = row["body"] else {
          throw StateStoreError.database(
            path: path, operation: "read the outbox",
            reason: "row \(row["id"] as Int64) names a decision that is not in the decision log")
        }
        return OutboxRecord(id: row["id"], stream: row["stream"], kind: kind, body: body, error: row["error"])
      }
    }
  }

  /// Marks every outbox row up to `id` published (one small transaction, fsync'd like the rest),
  /// and deletes published rows more than `keep` ids older (the decision table keeps decisions;
  /// the outbox only needs what is not yet in Redis). `id`s are never reused (AUTOINCREMENT), so
  /// the Redis watermark stays valid after deletions. A consumer that commits again soon passes
  /// the mark with that commit instead (`StateBatch.markOutboxPublishedThrough`).
  public func markOutboxPublished(through id: Int64, keep: Int64 = 100_000) throws {
    if isReadOnly { throw StateStoreError.readOnly(path: path) }
    try run("mark the outbox published") { db in
      try db.inTransaction(.immediate) {
        try markOutboxPublished(through: id, keep: keep, db)
        return .commit
      }
    }
  }

  /// Inside a write transaction: the mark and the pruning of `markOutboxPublished(through:keep:)`.
  func markOutboxPublished(through id: Int64, keep: Int64 = 100_000, _ db: Database) throws {
    let s = try db.cachedStatement(sql: "UPDATE outbox SET published = 1 WHERE published = 0 AND id <= ?")
    try s.execute(arguments: [id])
    let prune = try db.cachedStatement(sql: "DELETE FROM outbox WHERE published = 1 AND id <= ?")
    try prune.execute(arguments: [id - keep])
  }

  /// The number of outbox rows, published or not (for tests and metrics).
  public func outboxCount(published: Bool) throws -> Int {
    try run("count the outbox") { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM outbox WHERE published = ?", arguments: [published ? 1 : 0]) ?? 0
    }
  }
}
