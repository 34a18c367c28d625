// The audit chain on real SQLite files: the documented encoding, verification of an intact
// chain, many kinds of tampering applied with SQL (each detected at the right record), what
// only a checkpoint detects, retention (prune, anchor, deduplication of pruned ids), the
// migration of a database written before the chain, the cached head, and the summary counts.

import Foundation
import GRDB
import SentinelCrypto
import SentinelModel
import SentinelState
import Testing

@Suite struct AuditChainTests {
  /// A database with 10 records of `default` (scores 15, 30, … 150: every action) in three
  /// commits, and 3 records of `other`.
  static func populated() throws -> String {
    let path = temporaryDatabase()
    let store = try SQLiteStateStore(path: path)
    let records = (1...10).map {
      decision(
        "e\($0)", score: $0 * 15, rules: $0 % 2 == 0 ? ["r_even", "r_all"] : ["r_all"], time: at(Int64($0)))
    }
    try store.commit(StateBatch(decisions: Array(records[0..<4])))
    try store.commit(StateBatch(decisions: Array(records[4..<7])))
    try store.commit(StateBatch(decisions: Array(records[7...])))
    let other = try SQLiteStateStore(path: path, tenant: "other")
    try other.commit(StateBatch(decisions: [decision("o1"), decision("o2"), decision("o3")]))
    try other.close()
    try store.close()
    return path
  }

  static func sql(_ path: String, _ statements: String, _ arguments: StatementArguments = []) throws {
    let q = try DatabaseQueue(path: path)
    try q.write { try $0.execute(sql: statements, arguments: arguments) }
    try q.close()
  }

  static func verify(_ path: String, tenant: String? = nil, checkpoint: AuditCheckpoint? = nil) throws
    -> AuditReport
  {
    let store = try SQLiteStateStore(path: path, readOnly: true)
    defer { try? store.close() }
    return try store.verifyAuditChain(tenant: tenant, checkpoint: checkpoint)
  }

  static func checkpoint(_ path: String) throws -> AuditCheckpoint {
    let store = try SQLiteStateStore(path: path, readOnly: true)
    defer { try? store.close() }
    return AuditCheckpoint(createdAt: at(0), tenants: try store.auditHeads())
  }

  // MARK: - The chain

  @Test func anUntamperedChainVerifiesAndLinksEveryRecord() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let report = try Self.verify(path)
    #expect(report.isIntact, "\(String(describing: report.firstBreak))")
    #expect(report.tenants.map(\.tenant) == ["default", "other"])
    #expect(report.tenants.map(\.records) == [10, 3])
    #expect(report.records == 13)
    let store = try SQLiteStateStore(path: path)
    var entries: [AuditEntry] = []
    try store.forEachAuditEntry(tenant: "default") {
      entries.append($0)
      return true
    }
    #expect(entries.map(\.seq) == Array(1...10))
    #expect(entries.first?.prevHash == AuditChain.genesis)
    for (a, b) in zip(entries, entries.dropFirst()) {
      #expect(b.prevHash == a.hash)
      #expect(b.decidedAt >= a.decidedAt)
    }
    for e in entries { #expect(e.computedHash == e.hash && e.hash.count == 64) }
    #expect(report.tenants.first?.headHash == entries.last?.hash)
    // A new store reads the head from the file and continues the chain.
    try store.commit(StateBatch(decisions: [decision("e11")]))
    try store.close()
    let again = try Self.verify(path)
    #expect(again.isIntact && again.tenants.first?.headSeq == 11)
  }

  /// The hash is SHA-256 over the layout documented in AuditChain.swift, built here by hand.
  @Test func theHashIsTheDocumentedEncoding() throws {
    let record = DecisionRecord(
      eventID: "e-1", line: #"{"event_id":"e-1","action":"block","score":130,"rules":["a","b"]}"#,
      action: "block",
      score: 130, rules: ["a", "b"], eventTime: Timestamp(seconds: 1_764_000_000, nanos: 5),
      bundleDigest: "sha256:d")
    func str(_ s: String) -> [UInt8] {
      let n = UInt32(s.utf8.count)
      return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + Array(s.utf8)
    }
    func i64(_ v: Int64) -> [UInt8] {
      (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) }
    }
    let prev = [UInt8](repeating: 0xAB, count: 32)
    var bytes = Array("SIQ-AUDIT-1".utf8) + str("t") + i64(7) + str("e-1") + str(record.line) + str("block")
    bytes += i64(130) + [0, 0, 0, 2] + str("a") + str("b") + i64(1_764_000_000) + [0, 0, 0, 5]
    bytes += str("sha256:d") + i64(1_764_000_123_456) + prev
    let expected = SHA256.hexDigest(bytes)
    #expect(
      AuditChain.hash(
        tenant: "t", seq: 7, record: record, decidedAt: 1_764_000_123_456, prevHash: Hex.encode(prev))
        == expected)
    #expect(AuditChain.hash(tenant: "t", seq: 7, record: record, decidedAt: 0, prevHash: "zz") == nil)
  }

  // MARK: - Tampering

  /// A kind of tampering: SQL applied to the populated database, and where it must be caught.
  struct Tampering: Sendable, CustomStringConvertible {
    let description: String
    let sql: String
    let tenant: String
    let seq: Int64?
    let says: String
  }

  static let tamperings: [Tampering] = [
    .init(
      description: "edit the line",
      sql:
        #"UPDATE decision SET line = replace(line, '"score":75', '"score":5') WHERE tenant = 'default' AND seq = 5"#,
      tenant: "default", seq: 5, says: "the line's score is 5 but the record's is 75"),
    .init(
      description: "edit the action",
      sql: "UPDATE decision SET action = 'allow' WHERE tenant = 'default' AND seq = 5",
      tenant: "default", seq: 5, says: "the line's action is `review` but the record's is `allow`"),
    .init(
      description: "edit the score",
      sql: "UPDATE decision SET score = 0 WHERE tenant = 'default' AND seq = 8",
      tenant: "default", seq: 8, says: "the line's score is 120 but the record's is 0"),
    .init(
      description: "edit the rules",
      sql: "UPDATE decision SET rules = '[]' WHERE tenant = 'default' AND seq = 2",
      tenant: "default", seq: 2, says: "the line's rules are"),
    .init(
      description: "edit the line and the action consistently",
      sql:
        #"UPDATE decision SET action = 'allow', line = replace(line, '"review"', '"allow"') WHERE tenant = 'default' AND seq = 5"#,
      tenant: "default", seq: 5,
      says: "content (line, action, score, rules, event time, bundle digest or decided_at) was edited"),
    .init(
      description: "edit the event time",
      sql: "UPDATE decision SET event_seconds = event_seconds + 1 WHERE tenant = 'default' AND seq = 3",
      tenant: "default", seq: 3, says: "content (line, action"),
    .init(
      description: "edit the bundle digest",
      sql: "UPDATE decision SET bundle_digest = 'sha256:other' WHERE tenant = 'default' AND seq = 3",
      tenant: "default", seq: 3, says: "was edited after it was chained"),
    .init(
      description: "edit the commit time",
      sql: "UPDATE decision SET decided_at = decided_at - 86400000 WHERE tenant = 'default' AND seq = 3",
      tenant: "default", seq: 3, says: "was edited after it was chained"),
    .init(
      description: "delete a middle record", sql: "DELETE FROM decision WHERE tenant = 'default' AND seq = 5",
      tenant: "default", seq: 6, says: "seq 6 follows seq 4: record 5 is missing"),
    .init(
      description: "delete the first record",
      sql: "DELETE FROM decision WHERE tenant = 'default' AND seq = 1",
      tenant: "default", seq: 2, says: "the chain starts at seq 2, not 1"),
    .init(
      description: "truncate the middle",
      sql: "DELETE FROM decision WHERE tenant = 'default' AND seq BETWEEN 4 AND 7",
      tenant: "default", seq: 8, says: "records 4…7 are missing"),
    .init(
      description: "reorder two seqs",
      sql: """
        UPDATE decision SET seq = -1 WHERE tenant = 'default' AND seq = 4;
        UPDATE decision SET seq = 4 WHERE tenant = 'default' AND seq = 5;
        UPDATE decision SET seq = 5 WHERE tenant = 'default' AND seq = -1;
        """,
      tenant: "default", seq: 4, says: "prev_hash"),
    .init(
      description: "swap two records' contents",
      sql: """
        UPDATE decision SET seq = -3 WHERE tenant = 'default' AND seq = 3;
        UPDATE decision SET seq = 3 WHERE tenant = 'default' AND seq = 7;
        UPDATE decision SET seq = 7 WHERE tenant = 'default' AND seq = -3;
        """,
      tenant: "default", seq: 3, says: "prev_hash"),
    .init(
      description: "edit a hash",
      sql:
        "UPDATE decision SET hash = replace(hash, substr(hash, 1, 1), 'x') WHERE tenant = 'default' AND seq = 5",
      tenant: "default", seq: 5, says: "the stored hash was edited"),
    .init(
      description: "edit a prev_hash",
      sql:
        "UPDATE decision SET prev_hash = '\(String(repeating: "1", count: 64))' WHERE tenant = 'default' AND seq = 5",
      tenant: "default", seq: 5, says: "is not the hash"),
    .init(
      description: "insert a forged record at the end",
      sql: """
        INSERT INTO decision (tenant, event_id, seq, line, action, score, rules, event_seconds, event_nanos,
          bundle_digest, decided_at, prev_hash, hash)
        SELECT tenant, 'forged', 11, '{"event_id":"forged","action":"allow","score":0,"rules":[]}', 'allow', 0, '[]',
          0, 0, bundle_digest, decided_at, hash, hash FROM decision WHERE tenant = 'default' AND seq = 10
        """,
      tenant: "default", seq: 11, says: "was edited"),
    .init(
      description: "move a record to another tenant",
      sql: "UPDATE decision SET tenant = 'other' WHERE tenant = 'default' AND seq = 5",
      tenant: "default", seq: 6, says: "record 5 is missing"),
    .init(
      description: "a record that does not decode",
      sql: "UPDATE decision SET rules = 'nope' WHERE tenant = 'other' AND seq = 2",
      tenant: "other", seq: 2, says: "does not decode"),
  ]

  @Test(arguments: tamperings) func tamperingIsDetectedAtTheRightRecord(_ t: Tampering) throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    try Self.sql(path, t.sql)
    let report = try Self.verify(path)
    let broken = try #require(report.firstBreak, "\(t) was not detected")
    #expect(broken.tenant == t.tenant)
    #expect(broken.seq == t.seq, "\(broken)")
    #expect(broken.description.contains(t.says), "\(broken)")
    if t.seq != nil { #expect(broken.eventID != nil) }
  }

  /// A forged record inserted in the middle, correctly hashed and linked to its predecessor:
  /// the record after it no longer links.
  @Test func aForgedRecordInsertedInTheMiddleIsDetected() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, readOnly: true)
    var fourth: AuditEntry?
    try store.forEachAuditEntry(tenant: "default", after: 3) {
      fourth = $0
      return false
    }
    try store.close()
    let prev = try #require(fourth)
    let forged = decision("forged", score: 0, rules: [])
    let hash = try #require(
      AuditChain.hash(
        tenant: "default", seq: 5, record: forged, decidedAt: prev.decidedAt, prevHash: prev.hash))
    try Self.sql(
      path,
      """
      UPDATE decision SET seq = seq + 1000 WHERE tenant = 'default' AND seq >= 5;
      UPDATE decision SET seq = seq - 999 WHERE tenant = 'default' AND seq >= 1000;
      INSERT INTO decision (tenant, event_id, seq, line, action, score, rules, event_seconds, event_nanos,
        bundle_digest, decided_at, prev_hash, hash) VALUES ('default', 'forged', 5, ?, 'allow', 0, '[]', ?, 0,
        'sha256:test', ?, ?, ?);
      """, [forged.line, forged.eventTime.seconds, prev.decidedAt, prev.hash, hash])
    let broken = try #require(try Self.verify(path).firstBreak)
    #expect(broken.seq == 6 && broken.eventID == "e5", "\(broken)")
    #expect(broken.problem.contains("prev_hash"))
  }

  /// What the chain alone cannot see — a truncated tail, a chain rewritten and re-hashed — a
  /// checkpoint taken before does.
  @Test func tailTruncationIsCaughtOnlyAgainstACheckpoint() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let cp = try Self.checkpoint(path)
    #expect(try Self.verify(path, checkpoint: cp).isIntact)
    #expect(try Self.verify(path, tenant: "other", checkpoint: cp).tenants.map(\.checkpointSeq) == [3])

    try Self.sql(path, "DELETE FROM decision WHERE tenant = 'default' AND seq >= 9")
    #expect(try Self.verify(path).isIntact, "the chain alone cannot see a truncated tail")
    let truncated = try #require(try Self.verify(path, checkpoint: cp).firstBreak)
    #expect(truncated.tenant == "default")
    #expect(truncated.problem.contains("the tail was truncated (2 records missing)"), "\(truncated)")

  }

  @Test func aRewriteWithTheSameLengthIsCaughtAtTheCheckpointSeq() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let cp = try Self.checkpoint(path)
    // Re-hash the whole `other` chain after changing o2's score.
    let store = try SQLiteStateStore(path: path, readOnly: true)
    var entries: [AuditEntry] = []
    try store.forEachAuditEntry(tenant: "other") {
      entries.append($0)
      return true
    }
    try store.close()
    entries[1].record = decision("o2", score: 5)
    var prev = entries[0].hash
    for i in 1..<entries.count {
      entries[i].prevHash = prev
      entries[i].hash = try #require(entries[i].computedHash)
      prev = entries[i].hash
    }
    let q = try DatabaseQueue(path: path)
    try q.write { db in
      for e in entries {
        try db.execute(
          sql:
            "UPDATE decision SET line = ?, score = ?, prev_hash = ?, hash = ? WHERE tenant = 'other' AND seq = ?",
          arguments: [e.record.line, e.record.score, e.prevHash, e.hash, e.seq])
      }
    }
    try q.close()
    #expect(try Self.verify(path).isIntact)
    let broken = try #require(try Self.verify(path, checkpoint: cp).firstBreak)
    #expect(broken.tenant == "other" && broken.seq == 3 && broken.eventID == "o3", "\(broken)")
    #expect(broken.problem.contains("rewritten and re-hashed at or before seq 3"))
  }

  @Test func aDeletedTenantIsCaughtAgainstACheckpoint() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let cp = try Self.checkpoint(path)
    try Self.sql(path, "DELETE FROM decision WHERE tenant = 'other'")
    #expect(try Self.verify(path).isIntact)
    let broken = try #require(try Self.verify(path, checkpoint: cp).firstBreak)
    #expect(broken.tenant == "other" && broken.problem.contains("chain ends at seq 0"), "\(broken)")
  }

  // MARK: - Checkpoints

  @Test func checkpointsRoundTripAndSignaturesCoverEveryField() throws {
    let key = try Ed25519PrivateKey.generate()
    var cp = AuditCheckpoint(
      createdAt: Timestamp(seconds: 1_764_000_000, nanos: 123_000_000),
      tenants: [.init(tenant: "a \"quoted\"", seq: 12, hash: String(repeating: "ab", count: 32), count: 10)],
      segments: [
        .init(
          file: "segment-000001.jsonl", tenant: "a \"quoted\"", firstSeq: 3, lastSeq: 12, records: 10,
          sha256: "ff")
      ])
    #expect(try AuditCheckpoint(json: cp.json) == cp)
    cp = try cp.signed(with: key)
    let parsed = try AuditCheckpoint(json: cp.json)
    #expect(parsed == cp)
    #expect(parsed.isSigned(by: key.publicKey))
    #expect(!parsed.isSigned(by: try Ed25519PrivateKey.generate().publicKey))
    var altered = parsed
    altered.tenants[0].seq = 11
    #expect(!altered.isSigned(by: key.publicKey))
    altered = parsed
    altered.segments[0].sha256 = "fe"
    #expect(!altered.isSigned(by: key.publicKey))
    #expect(!AuditCheckpoint(createdAt: at(0), tenants: []).isSigned(by: key.publicKey))
    #expect(throws: AuditCheckpointError.self) { try AuditCheckpoint(json: "{}") }
    #expect(throws: AuditCheckpointError.self) {
      try AuditCheckpoint(json: cp.json.replacingOccurrences(of: "\"seq\":12", with: "\"seq\":-1"))
    }
  }

  // MARK: - Retention

  @Test func pruningKeepsTheChainVerifiableAndPrunedIDsDeduplicated() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    try store.commit(StateBatch(decisions: (1...4).map { decision("old\($0)") }))
    Thread.sleep(forTimeInterval: 0.02)
    let cutoff = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    Thread.sleep(forTimeInterval: 0.02)
    try store.commit(StateBatch(decisions: (1...3).map { decision("new\($0)") }))
    let results = try store.pruneAudit(before: cutoff)
    #expect(results.map(\.removed) == [4] && results.map(\.kept) == [3])
    let anchor = try #require(try store.auditAnchor(tenant: "default"))
    #expect(anchor.seq == 4 && anchor.pruned == 4)
    #expect(try store.decisionCount() == 3)
    // Pruned ids are still known, with their original decision line.
    #expect(try store.decisionLine(forEventID: "old2") == decision("old2").line)
    #expect(try store.allEventIDs().contains("old1"))
    #expect(
      try store.storedDecision(eventID: "old3") == .pruned(eventID: "old3", line: decision("old3").line))
    // The chain verifies from the anchor, and goes on from the cached head and from a new store.
    var report = try store.verifyAuditChain()
    #expect(report.isIntact && report.tenants.first?.firstSeq == 5 && report.tenants.first?.anchor == anchor)
    try store.commit(StateBatch(decisions: [decision("new4")]))
    try store.close()
    let reopened = try SQLiteStateStore(path: path)
    try reopened.commit(StateBatch(decisions: [decision("new5")]))
    // Prune everything: the next record continues from the anchor alone.
    let all = try reopened.pruneAudit(before: .max)
    #expect(all.first?.removed == 5 && all.first?.anchor.seq == 9 && all.first?.anchor.pruned == 9)
    try reopened.close()
    let fresh = try SQLiteStateStore(path: path)
    try fresh.commit(StateBatch(decisions: [decision("new6")]))
    report = try fresh.verifyAuditChain()
    #expect(report.isIntact && report.tenants.first?.firstSeq == 10, "\(report)")
    try fresh.close()
    // Pruning again with nothing old enough changes nothing.
    let none = try SQLiteStateStore(path: path)
    #expect(try none.pruneAudit(before: 0).isEmpty)
    try none.close()
  }

  @Test func tamperingAfterPruningIsStillCaught() throws {
    for (sql, seq, says) in [
      ("UPDATE decision SET score = 1 WHERE seq = 7", Int64(7), "score"),
      ("DELETE FROM decision WHERE seq = 6", Int64(7), "seq 7 follows seq 5"),
      (
        "UPDATE audit_anchor SET hash = '\(String(repeating: "2", count: 64))'", Int64(6),
        "retention anchor's hash"
      ),
      ("UPDATE audit_anchor SET seq = 4", Int64(6), "seq 6 follows seq 4"),
    ] {
      let path = temporaryDatabase()
      defer { removeDatabase(path) }
      let store = try SQLiteStateStore(path: path)
      try store.commit(StateBatch(decisions: (1...5).map { decision("e\($0)") }))
      Thread.sleep(forTimeInterval: 0.01)
      try store.commit(StateBatch(decisions: (6...10).map { decision("e\($0)", score: 2) }))
      let q = try DatabaseQueue(path: path)
      let cutoff = try #require(
        try q.read { try Int64.fetchOne($0, sql: "SELECT decided_at FROM decision WHERE seq = 6") })
      try q.close()
      let pruned = try store.pruneAudit(before: cutoff, tenant: "default")
      #expect(pruned.first?.anchor.seq == 5, "\(pruned)")
      try store.close()
      try Self.sql(path, sql.replacingOccurrences(of: "WHERE seq", with: "WHERE tenant = 'default' AND seq"))
      let broken = try #require(try Self.verify(path).firstBreak, "\(sql) not detected")
      #expect(broken.seq == seq && broken.description.contains(says), "\(sql): \(broken)")
    }
  }

  @Test func aBrokenChainIsNotPruned() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    try Self.sql(path, "UPDATE decision SET score = 1 WHERE tenant = 'default' AND seq = 2")
    let store = try SQLiteStateStore(path: path)
    #expect(throws: AuditPruneError.self) { try store.pruneAudit(before: .max) }
    #expect(try store.decisionCount() == 10)
    #expect(try store.auditAnchor(tenant: "default") == nil)
  }

  /// A database of `default` with two commits a few milliseconds apart (4 records, then 3), and
  /// the commit time of the second: a prune before it removes exactly the first.
  static func twoCommits() throws -> (path: String, cutoff: Int64) {
    let path = temporaryDatabase()
    let store = try SQLiteStateStore(path: path)
    try store.commit(StateBatch(decisions: (1...4).map { decision("p\($0)") }))
    Thread.sleep(forTimeInterval: 0.02)
    try store.commit(StateBatch(decisions: (5...7).map { decision("p\($0)") }))
    try store.close()
    let q = try DatabaseQueue(path: path)
    defer { try? q.close() }
    let cutoff = try q.read { try Int64.fetchOne($0, sql: "SELECT decided_at FROM decision WHERE seq = 5") }
    return (path, try #require(cutoff))
  }

  @Test func retentionVerifiesWhatItRemovesAndLeavesLaterBreaksToVerify() throws {
    // A break after the cutoff: the whole-chain prune refuses; the scheduled one removes the
    // first commit, and the break is still there for `verify`.
    var (path, cutoff) = try Self.twoCommits()
    try Self.sql(path, "UPDATE decision SET score = 99 WHERE tenant = 'default' AND seq = 6")
    var store = try SQLiteStateStore(path: path)
    #expect(throws: AuditPruneError.self) { try store.pruneAudit(before: cutoff) }
    #expect(try store.decisionCount() == 7)
    let pruned = try store.pruneAudit(before: cutoff, verifying: .removedRecords)
    #expect(pruned.first?.removed == 4 && pruned.first?.anchor.seq == 4, "\(pruned)")
    try store.close()
    let report = try Self.verify(path)
    #expect(report.firstBreak?.seq == 6, "\(String(describing: report.firstBreak))")
    removeDatabase(path)
    // A break in what would be removed, or in the first kept record's link: refused, nothing removed.
    for statement in [
      "UPDATE decision SET score = 99 WHERE tenant = 'default' AND seq = 2",
      "UPDATE decision SET prev_hash = '\(String(repeating: "1", count: 64))' WHERE tenant = 'default' AND seq = 5",
    ] {
      (path, cutoff) = try Self.twoCommits()
      try Self.sql(path, statement)
      store = try SQLiteStateStore(path: path)
      #expect(throws: AuditPruneError.self, "\(statement)") {
        try store.pruneAudit(before: cutoff, verifying: .removedRecords)
      }
      #expect(try store.decisionCount() == 7)
      #expect(try store.auditAnchor(tenant: "default") == nil)
      try store.close()
      removeDatabase(path)
    }
  }

  // MARK: - Upgrading, caching, reading

  @Test func aDatabaseWrittenBeforeTheChainIsChainedOnUpgrade() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let q = try DatabaseQueue(path: path)
    try q.write { db in
      try db.execute(
        sql: """
          CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
          INSERT INTO grdb_migrations VALUES ('v1');
          CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
          INSERT INTO meta VALUES ('format', 'sentinel-state'), ('state_encoding', '2');
          CREATE TABLE aggregate_state (tenant TEXT NOT NULL, aggregate TEXT NOT NULL, key TEXT NOT NULL,
            state BLOB NOT NULL, PRIMARY KEY (tenant, aggregate, key)) WITHOUT ROWID;
          CREATE TABLE decision (tenant TEXT NOT NULL, event_id TEXT NOT NULL, seq INTEGER NOT NULL,
            line TEXT NOT NULL, action TEXT NOT NULL, score INTEGER NOT NULL, rules TEXT NOT NULL,
            event_seconds INTEGER NOT NULL, event_nanos INTEGER NOT NULL, bundle_digest TEXT NOT NULL,
            PRIMARY KEY (tenant, event_id)) WITHOUT ROWID;
          CREATE UNIQUE INDEX decision_by_seq ON decision (tenant, seq);
          PRAGMA application_id = 1397313841;
          """)
      for (i, id) in ["b", "a", "c"].enumerated() {
        let d = decision(id, time: at(Int64(100 - i)))
        try db.execute(
          sql:
            "INSERT INTO decision VALUES ('default', ?, ?, ?, ?, ?, '[\"login_failures_warning\"]', ?, 0, ?)",
          arguments: [id, i + 1, d.line, d.action, d.score, d.eventTime.seconds, d.bundleDigest])
      }
    }
    try q.close()
    #expect(throws: StateStoreError.self, "read-only cannot upgrade") {
      try SQLiteStateStore(path: path, readOnly: true)
    }
    let store = try SQLiteStateStore(path: path)
    var report = try store.verifyAuditChain()
    #expect(report.isIntact && report.records == 3, "\(report)")
    let first = try #require(try store.storedDecision(eventID: "b"))
    guard case .chained(let e) = first else { throw Expectation("not chained") }
    #expect(
      e.prevHash == AuditChain.genesis && e.decidedAt == AuditChain.millis(at(100)),
      "commit time taken from the event time")
    try store.commit(StateBatch(decisions: [decision("d")]))
    report = try store.verifyAuditChain()
    #expect(report.isIntact && report.tenants.first?.headSeq == 4)
  }

  struct Expectation: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
  }

  /// Another connection (another process on the same file) appended behind this store's cached
  /// head: the connection's `data_version` changed, so the next commit reads the head again and
  /// continues the chain after the other writer's records — no failed commit.
  @Test func anotherWritersCommitIsSeenBeforeTheNextLink() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let a = try SQLiteStateStore(path: path)
    let b = try SQLiteStateStore(path: path)
    try a.commit(StateBatch(decisions: [decision("a1")]))
    try b.commit(StateBatch(decisions: [decision("b1")]))
    try a.commit(StateBatch(decisions: [decision("a2")]))
    try b.commit(StateBatch(decisions: [decision("b2")]))
    try a.commit(StateBatch(decisions: [decision("a3")]))
    let report = try a.verifyAuditChain()
    #expect(report.isIntact && report.records == 5, "\(report)")
    try a.close()
    try b.close()
  }

  @Test func theSummaryCountsTheWindowOfCommitTime() throws {
    let path = try Self.populated()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    let all = try store.decisionSummary(from: 0, to: .max)
    // Scores 15…150: allow below 70 (4), review 70…99 (2), block from 100 (4).
    #expect(all.total == 10)
    #expect(all.byAction == ["allow": 4, "review": 2, "block": 4])
    #expect(all.byRule == ["r_all": 10, "r_even": 5])
    #expect(try store.decisionSummary(from: .max - 1, to: .max).total == 0)
    let other = try SQLiteStateStore(path: path, tenant: "other")
    #expect(try other.decisionSummary(from: 0, to: .max).byAction == ["allow": 3])
    // A later commit, and a window starting between the two.
    Thread.sleep(forTimeInterval: 0.02)
    let now = Date().timeIntervalSince1970
    let start = Int64((now * 1000).rounded(.down))
    Thread.sleep(forTimeInterval: 0.02)
    try store.commit(StateBatch(decisions: [decision("late", score: 100, rules: ["r_late"])]))
    let recent = try store.decisionSummary(from: start, to: .max)
    #expect(
      recent.total == 1 && recent.byAction == ["block": 1] && recent.byRule == ["r_late": 1], "\(recent)")
  }
}
