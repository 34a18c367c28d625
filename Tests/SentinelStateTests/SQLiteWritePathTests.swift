// The commit path's layout and the outbox (migration `v4_append_only_log`): decisions appended
// in commit order, outbox rows naming their decision instead of copying its line, the published
// mark riding in a commit, retention keeping an unpublished row's line, the upgrade of a v3
// database, and busy errors recognized by SQLite's result code.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct SQLiteWritePathTests {
  static func outboxRow(_ eventID: String, line: String) -> OutboxRecord {
    OutboxRecord(stream: "decisions", kind: .decision, body: line, eventID: eventID)
  }

  static func rows(_ path: String, _ sql: String) throws -> [Row] {
    let q = try DatabaseQueue(path: path)
    defer { try? q.close() }
    return try q.read { try Row.fetchAll($0, sql: sql) }
  }

  @Test func aDecisionsOutboxRowNamesItInsteadOfCopyingTheLine() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    let d1 = decision("e1")
    let d2 = decision("e2", score: 100)
    var batch = StateBatch(decisions: [d1, d2])
    batch.outbox = [
      Self.outboxRow("e1", line: d1.line),
      OutboxRecord(stream: "dead", kind: .deadLetter, body: "{not json", error: "bad JSON"),
      Self.outboxRow("e2", line: d2.line),
    ]
    try store.commit(batch)
    let stored = try Self.rows(path, "SELECT kind, decision_seq, body FROM outbox ORDER BY id")
    #expect(stored.map { $0["decision_seq"] as Int64? } == [1, nil, 2])
    #expect(stored.map { $0["body"] as String? } == [nil, "{not json", nil], "no copy of a decision line")
    let unpublished = try store.unpublishedOutbox()
    #expect(unpublished.map(\.body) == [d1.line, "{not json", d2.line])
    #expect(unpublished.map(\.kind) == [.decision, .deadLetter, .decision])
    #expect(unpublished.map(\.error) == [nil, "bad JSON", nil])
    #expect(unpublished.map(\.eventID) == [nil, nil, nil])
    #expect(try store.unpublishedOutbox(after: unpublished[1].id).map(\.body) == [d2.line])

    // A row for a decision committed earlier names it too; one for no decision keeps its body.
    var later = StateBatch()
    later.outbox = [Self.outboxRow("e1", line: d1.line), Self.outboxRow("nope", line: "{\"x\":1}")]
    try store.commit(later)
    let tail = try Self.rows(path, "SELECT decision_seq, body FROM outbox ORDER BY id LIMIT 2 OFFSET 3")
    #expect(tail.map { $0["decision_seq"] as Int64? } == [1, nil])
    #expect(tail.map { $0["body"] as String? } == [nil, "{\"x\":1}"])
    #expect(try store.unpublishedOutbox().suffix(2).map(\.body) == [d1.line, "{\"x\":1}"])
  }

  @Test func thePublishedMarkRidesInTheNextCommit() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    var first = StateBatch(decisions: [decision("e1"), decision("e2")])
    first.outbox = [
      Self.outboxRow("e1", line: decision("e1").line), Self.outboxRow("e2", line: decision("e2").line),
    ]
    try store.commit(first)
    let top = try #require(try store.unpublishedOutbox().last?.id)
    var second = StateBatch(decisions: [decision("e3")])
    second.outbox = [Self.outboxRow("e3", line: decision("e3").line)]
    second.markOutboxPublishedThrough = top
    try store.commit(second)
    #expect(try store.outboxCount(published: true) == 2)
    #expect(try store.unpublishedOutbox().map(\.body) == [decision("e3").line])
    // A failed commit carries no mark: the transaction is rolled back with it.
    var failing = StateBatch(decisions: [decision("e1")])
    failing.markOutboxPublishedThrough = top + 1
    #expect(throws: StateStoreError.self) { try store.commit(failing) }
    #expect(try store.outboxCount(published: false) == 1)
    // A mark alone is a batch too.
    var markOnly = StateBatch()
    markOnly.markOutboxPublishedThrough = top + 1
    #expect(!markOnly.isEmpty)
    try store.commit(markOnly)
    #expect(try store.outboxCount(published: false) == 0)
    #expect(try store.decisionCount() == 3)
  }

  /// `commitReportingOutbox` returns the ids it gave the batch's rows (consecutive, in order,
  /// across the multi-row INSERTs) and whether they follow every other unpublished row: what a
  /// consumer needs to publish a batch without reading it back.
  @Test func aCommitReportsItsOutboxIdsAndWhetherTheyFollowEveryUnpublishedRow() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    func batch(_ prefix: String, _ n: Int, checkAfter: Int64?) -> StateBatch {
      let ds = (0..<n).map { decision("\(prefix)\($0)") }
      var b = StateBatch(decisions: ds)
      for (i, d) in ds.enumerated() {
        b.outbox.append(Self.outboxRow(d.eventID, line: d.line))
        if i % 7 == 3 {
          b.outbox.append(
            OutboxRecord(stream: "dead", kind: .deadLetter, body: "raw \(prefix)\(i)", error: "bad \(i)"))
        }
      }
      b.outboxUnpublishedCheckAfter = checkAfter
      return b
    }
    func published(_ b: StateBatch, _ ids: ClosedRange<Int64>?) throws -> Bool {
      let ids = try #require(ids)
      let stored = try store.unpublishedOutbox(after: ids.lowerBound - 1, limit: b.outbox.count)
      return stored.map(\.id) == Array(ids) && stored.map(\.body) == b.outbox.map(\.body)
        && stored.map(\.error) == b.outbox.map(\.error) && stored.map(\.kind) == b.outbox.map(\.kind)
        && stored.map(\.stream) == b.outbox.map(\.stream)
    }
    // An empty outbox: the 3 rows follow nothing.
    let first = batch("a", 3, checkAfter: 0)
    let r1 = try store.commitReportingOutbox(first)
    #expect(r1 == OutboxWrite(ids: 1...3, followsUnpublished: true))
    #expect(try published(first, r1.ids))
    // 80 decisions and 11 dead letters (two multi-row INSERTs and single rows): rows 1–3 are
    // still unpublished above 0, and not above 3.
    let second = batch("b", 80, checkAfter: 0)
    let r2 = try store.commitReportingOutbox(second)
    #expect(r2 == OutboxWrite(ids: 4...94, followsUnpublished: false))
    #expect(try published(second, r2.ids))
    let third = batch("c", 40, checkAfter: 94)
    let r3 = try store.commitReportingOutbox(third)
    #expect(r3.followsUnpublished)
    #expect(try published(third, r3.ids))
    // The check sees the outbox before the batch's own mark: a consumer asks from the last id it
    // published, which its mark never passes.
    let upTo = try #require(r3.ids?.upperBound)
    var fourth = batch("d", 2, checkAfter: upTo)
    fourth.markOutboxPublishedThrough = upTo
    let r4 = try store.commitReportingOutbox(fourth)
    #expect(r4 == OutboxWrite(ids: (upTo + 1)...(upTo + 2), followsUnpublished: true))
    #expect(try store.unpublishedOutbox().map(\.id) == [upTo + 1, upTo + 2])
    // Marked: nothing unpublished above 0 is left before the next batch's rows.
    var fifth = batch("g", 1, checkAfter: 0)
    fifth.markOutboxPublishedThrough = upTo + 2
    #expect(try store.commitReportingOutbox(fifth).followsUnpublished == false)
    var markOnly = StateBatch()
    markOnly.markOutboxPublishedThrough = upTo + 3
    try store.commit(markOnly)
    #expect(try store.commitReportingOutbox(batch("h", 1, checkAfter: 0)).followsUnpublished)
    // Not asked: not known. No rows: no ids.
    #expect(try store.commitReportingOutbox(batch("e", 1, checkAfter: nil)).followsUnpublished == false)
    #expect(try store.commitReportingOutbox(StateBatch(decisions: [decision("f")])).ids == nil)
    // A failed commit (a duplicate event id) reports nothing and writes no row.
    let count = try store.outboxCount(published: false)
    #expect(throws: StateStoreError.self) {
      _ = try store.commitReportingOutbox(batch("a", 3, checkAfter: 0))
    }
    #expect(try store.outboxCount(published: false) == count)
    #expect(try store.decisionCount() == 3 + 80 + 40 + 2 + 1 + 1 + 1 + 1)
  }

  @Test func retentionKeepsTheLineOfAnUnpublishedDecision() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    var batch = StateBatch(decisions: [decision("e1"), decision("e2")])
    batch.outbox = [
      Self.outboxRow("e1", line: decision("e1").line), Self.outboxRow("e2", line: decision("e2").line),
    ]
    try store.commit(batch)
    let pruned = try store.pruneAudit(before: .max)
    #expect(pruned.first?.removed == 2)
    #expect(try store.decisionCount() == 0)
    #expect(try store.unpublishedOutbox().map(\.body) == [decision("e1").line, decision("e2").line])
    #expect(try store.verifyAuditChain().isIntact)
  }

  @Test func decisionsAreStoredInCommitOrder() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    // Event ids in no particular order: the table's rows follow the commit order all the same.
    let ids = ["m", "c", "x", "a", "q"]
    try store.commit(StateBatch(decisions: ids.prefix(3).map { decision($0) }))
    try store.commit(StateBatch(decisions: ids.suffix(2).map { decision($0) }))
    let rows = try Self.rows(path, "SELECT event_id, seq FROM decision ORDER BY rowid")
    #expect(rows.map { $0["event_id"] as String } == ids)
    #expect(rows.map { $0["seq"] as Int64 } == [1, 2, 3, 4, 5])
    #expect(try store.pragma("cache_size") == "-32768")
    let pageSize = try #require(Int(try store.pragma("page_size") ?? ""))
    #expect(try store.pragma("wal_autocheckpoint") == String((40 << 20) / pageSize))
  }

  /// A database as v3 wrote it (decisions keyed by event id, outbox rows copying the line, a
  /// counter above the remaining ids) opens, keeps every record and id, and keeps working.
  @Test func aVersion3DatabaseIsUpgraded() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    do {
      let store = try SQLiteStateStore(path: path)
      var batch = StateBatch(decisions: [decision("b"), decision("a"), decision("c")])
      batch.outbox = [OutboxRecord(stream: "decisions", kind: .decision, body: "copied line")]
      try store.commit(batch)
      try store.close()
    }
    // Back to the v3 layout, as a database written before this migration.
    let q = try DatabaseQueue(path: path)
    try q.write { db in
      try db.execute(
        sql: """
          CREATE TABLE decision_v3 (tenant TEXT NOT NULL, event_id TEXT NOT NULL, seq INTEGER NOT NULL,
            line TEXT NOT NULL, action TEXT NOT NULL, score INTEGER NOT NULL, rules TEXT NOT NULL,
            event_seconds INTEGER NOT NULL, event_nanos INTEGER NOT NULL, bundle_digest TEXT NOT NULL,
            decided_at INTEGER NOT NULL DEFAULT 0, prev_hash TEXT NOT NULL DEFAULT '',
            hash TEXT NOT NULL DEFAULT '', PRIMARY KEY (tenant, event_id)) WITHOUT ROWID;
          INSERT INTO decision_v3 SELECT tenant, event_id, seq, line, action, score, rules, event_seconds,
            event_nanos, bundle_digest, decided_at, prev_hash, hash FROM decision;
          DROP TABLE decision;
          ALTER TABLE decision_v3 RENAME TO decision;
          CREATE UNIQUE INDEX decision_by_seq ON decision (tenant, seq);
          CREATE TABLE outbox_v3 (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL,
            stream TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('decision', 'dead_letter')),
            body TEXT NOT NULL, error TEXT, published INTEGER NOT NULL DEFAULT 0);
          INSERT INTO outbox_v3 (id, tenant, stream, kind, body, error, published)
            SELECT id, tenant, stream, kind, body, error, published FROM outbox;
          INSERT INTO outbox_v3 (id, tenant, stream, kind, body, error, published)
            VALUES (7, 'default', 'dead', 'dead_letter', 'raw', 'why', 1);
          DELETE FROM outbox_v3 WHERE id = 7;
          DROP TABLE outbox;
          ALTER TABLE outbox_v3 RENAME TO outbox;
          CREATE INDEX outbox_unpublished ON outbox (id) WHERE published = 0;
          DELETE FROM grdb_migrations WHERE identifier = 'v4_append_only_log';
          DROP TABLE event_index;
          DROP TABLE state_log;
          DROP TABLE fold_mark;
          DELETE FROM grdb_migrations WHERE identifier = 'v5_deferred_indexes';
          DELETE FROM meta WHERE key = 'event_key_seed';
          DELETE FROM grdb_migrations WHERE identifier = 'v6_hashed_event_index';
          """)
    }
    #expect(
      try q.read { try Int64.fetchOne($0, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'") } == 7
    )
    try q.close()

    let store = try SQLiteStateStore(path: path)
    #expect(try store.decisions().map(\.record.eventID) == ["b", "a", "c"])
    #expect(try store.verifyAuditChain().isIntact)
    #expect(try store.unpublishedOutbox().map(\.body) == ["copied line"])
    #expect(try store.decisionLine(forEventID: "a") == decision("a").line)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "a")) {
      try store.commit(StateBatch(decisions: [decision("a")]))
    }
    var next = StateBatch(decisions: [decision("d")])
    next.outbox = [Self.outboxRow("d", line: decision("d").line)]
    try store.commit(next)
    let out = try store.unpublishedOutbox()
    #expect(out.map(\.id) == [1, 8], "ids are not reused after the upgrade")
    #expect(out.map(\.body) == ["copied line", decision("d").line])
    let report = try store.verifyAuditChain()
    #expect(report.isIntact && report.records == 4, "\(report)")
    #expect(try store.decisions().map(\.sequence) == [1, 2, 3, 4])
  }

  /// `isBusy` comes from SQLite's result code: a lock held past the busy timeout is busy, an
  /// error whose message merely looks like one is not.
  @Test func busyIsTheResultCodeNotTheMessage() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, busyTimeout: 0.05)
    var holding = Configuration()
    holding.allowsUnsafeTransactions = true  // the lock is held across two accesses on purpose
    let holder = try DatabaseQueue(path: path, configuration: holding)
    try holder.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
    var caught: StateStoreError?
    do {
      try store.commit(StateBatch(decisions: [decision("e1")]))
    } catch let e as StateStoreError {
      caught = e
    }
    try holder.inDatabase { try $0.execute(sql: "ROLLBACK") }
    try holder.close()
    let busy = try #require(caught)
    #expect(busy.isBusy, "\(busy)")
    try store.commit(StateBatch(decisions: [decision("e1")]))
    #expect(try store.decisionCount() == 1)
    let lookalike = StateStoreError.database(
      path: path, operation: "x", reason: "SQLite error 5: database is locked")
    #expect(!lookalike.isBusy)
    #expect(
      StateStoreError.database(path: path, operation: "x", reason: "", code: 261).isBusy,
      "SQLITE_BUSY_RECOVERY")
    #expect(!StateStoreError.database(path: path, operation: "x", reason: "", code: 19).isBusy)
    #expect(!StateStoreError.duplicateEventID(path: path, tenant: "t", eventID: "e").isBusy)
  }
}
