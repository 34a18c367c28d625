// `event_index` keyed by a 64-bit keyed hash of the tenant and event id (`EventKey.swift`,
// migration `v6_hashed_event_index`): the key function is frozen (its values are stored); a v5
// file is upgraded with every id still found and refused as a duplicate; ids whose keys collide
// (keys narrowed to three bits) are told apart by the decision rows, through folds, retention and
// a reopen.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct HashedEventIndexTests {
  /// Every file's index holds these values: a change of the function would lose its ids. The
  /// expected values are SipHash-1-3's, computed independently (CPython's `hash` of bytes is
  /// SipHash-1-3 with a zero key under `PYTHONHASHSEED=0`; the same code gave these).
  @Test func theKeyFunctionIsFrozen() {
    #expect(EventKey.hash(seed: 0, tenant: "default", eventID: "e1") == 0x3389_055D_6DDD_79F5)
    #expect(
      EventKey.hash(seed: 0x0123_4567_89AB_CDEF, tenant: "default", eventID: "e1") == 0x8D90_4ABA_7A91_A498)
    #expect(
      EventKey.hash(seed: 0x0123_4567_89AB_CDEF, tenant: "acme", eventID: "evt-000123-a9f3c2d1e0")
        == 0x7231_312E_33F2_EA6E)
    #expect(EventKey.hash(seed: 0xFEDC_BA98_7654_3210, tenant: "", eventID: "") == 0x5AEC_BD2D_8BDE_DD5D)
    // The tenant and the id are kept apart.
    #expect(
      EventKey.hash(seed: 1, tenant: "ab", eventID: "c") != EventKey.hash(seed: 1, tenant: "a", eventID: "bc")
    )
  }

  /// The (key, decision id) rows of a file, and those its decisions at or below the fold mark
  /// should have.
  static func indexRows(_ path: String) throws -> (stored: Set<[Int64]>, expected: Set<[Int64]>) {
    let q = try DatabaseQueue(path: path)
    defer { try? q.close() }
    return try q.read { db in
      let text = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'event_key_seed'") ?? ""
      let seed = try #require(UInt64(text, radix: 16))
      var stored = Set<[Int64]>()
      for row in try Row.fetchAll(db, sql: "SELECT key, decision_id FROM event_index") {
        stored.insert([row[0], row[1]])
      }
      var expected = Set<[Int64]>()
      let rows = try Row.fetchAll(
        db,
        sql: "SELECT tenant, event_id, id FROM decision WHERE id <= (SELECT indexed_through FROM fold_mark)")
      for row in rows {
        let key = EventKey.hash(seed: seed, tenant: row[0], eventID: row[1])
        expected.insert([Int64(bitPattern: key), row[2]])
      }
      return (stored, expected)
    }
  }

  @Test func aVersion5DatabaseIsUpgraded() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    do {
      let store = try SQLiteStateStore(path: path, foldEvery: 4)
      let other = store.forTenant("t2")
      try store.commit(StateBatch(decisions: (1...6).map { decision("a\($0)") }))  // folded
      try store.commit(StateBatch(decisions: [decision("a7")]))  // the tail
      try other.commit(StateBatch(decisions: [decision("b1"), decision("a1")]))  // the tail
      try store.close()
    }
    // Back to the v5 layout: text keys, no seed.
    let q = try DatabaseQueue(path: path)
    try q.write { db in
      try db.execute(
        sql: """
          DROP TABLE event_index;
          CREATE TABLE event_index (
            tenant TEXT NOT NULL, event_id TEXT NOT NULL, decision_id INTEGER NOT NULL,
            PRIMARY KEY (tenant, event_id)) WITHOUT ROWID;
          INSERT INTO event_index (tenant, event_id, decision_id)
            SELECT tenant, event_id, id FROM decision WHERE id <= (SELECT indexed_through FROM fold_mark);
          DELETE FROM meta WHERE key = 'event_key_seed';
          DELETE FROM grdb_migrations WHERE identifier = 'v6_hashed_event_index';
          """)
    }
    try q.close()
    let store = try SQLiteStateStore(path: path, foldEvery: 100)
    let other = store.forTenant("t2")
    let rows = try Self.indexRows(path)
    #expect(rows.stored.count == 6)
    #expect(rows.stored == rows.expected)
    for i in 1...7 { #expect(try store.decisionLine(forEventID: "a\(i)") == decision("a\(i)").line) }
    #expect(try other.decisionLine(forEventID: "b1") == decision("b1").line)
    #expect(try other.decisionLine(forEventID: "a1") == decision("a1").line)
    #expect(try other.decisionLine(forEventID: "a2") == nil, "another tenant's id")
    for (s, id) in [(store, "a3"), (store, "a7"), (other, "b1"), (other, "a1")] {
      #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: s.tenant, eventID: id)) {
        try s.commit(StateBatch(decisions: [decision("new-\(id)"), decision(id)]))
      }
    }
    try other.commit(StateBatch(decisions: [decision("a2")]))  // not a duplicate in t2
    try store.foldNow()
    let folded = try Self.indexRows(path)
    #expect(folded.stored.count == 10)
    #expect(folded.stored == folded.expected)
    #expect(try store.allEventIDs() == Set((1...7).map { "a\($0)" }))
    #expect(try other.allEventIDs() == ["b1", "a1", "a2"])
    #expect(try store.verifyAuditChain().isIntact)
    try store.close()
  }

  @Test func aMissingOrMalformedSeedIsNamed() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    try SQLiteStateStore(path: path).close()
    let q = try DatabaseQueue(path: path)
    try q.write { try $0.execute(sql: "UPDATE meta SET value = 'xyz' WHERE key = 'event_key_seed'") }
    try q.close()
    #expect(
      throws: StateStoreError.notAStateDatabase(
        path: path, reason: "meta.event_key_seed is `xyz`, not 16 hex digits")
    ) {
      _ = try SQLiteStateStore(path: path)
    }
  }

  /// With keys of three bits, ids collide by the dozen: each is still found, refused as a
  /// duplicate and unknown ids are not, in the tail, in the index, in two tenants, after
  /// retention and after a reopen.
  @Test func collidingKeysAreToldApartByTheirIDs() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    var store = try SQLiteStateStore(path: path, foldEvery: 25)
    try store.narrowEventKeysForTesting(bits: 3)
    var other = store.forTenant("t2")
    var ids: [String] = []
    var otherIDs: [String] = []
    for b in 0..<21 {
      let batch = (0..<10).map { "c\(b)-\($0)" }
      ids += batch
      try store.commit(StateBatch(decisions: batch.map { decision($0) }))
      if b % 2 == 0 {  // the same ids in another tenant are not duplicates
        otherIDs += batch
        try other.commit(StateBatch(decisions: batch.map { decision($0) }))
      }
    }
    #expect(try Self.count(path, "SELECT COUNT(DISTINCT key) FROM event_index") <= 8)
    #expect(try Self.count(path, "SELECT COUNT(*) FROM event_index") > 250)
    #expect(try store.foldBacklog().decisions > 0, "some in the tail")
    func checkEveryID() throws {
      for id in ids { #expect(try store.decisionLine(forEventID: id) == decision(id).line) }
      for id in otherIDs { #expect(try other.decisionLine(forEventID: id) == decision(id).line) }
      for i in 0..<40 {
        #expect(try store.decisionLine(forEventID: "absent-\(i)") == nil)
        #expect(try store.storedDecision(eventID: "absent-\(i)") == nil)
      }
      #expect(try other.decisionLine(forEventID: "c1-0") == nil, "odd batches are not in t2")
    }
    try checkEveryID()
    let before = try store.decisionCount()
    for id in ids where id.hasSuffix("-3") {
      #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: id)) {
        try store.commit(StateBatch(decisions: [decision("fresh-\(id)"), decision(id)]))
      }
    }
    #expect(try store.decisionCount() == before, "nothing written")
    // New ids share every key with recorded ones: none is taken for a duplicate.
    let fresh = (0..<30).map { "fresh-\($0)" }
    try store.commit(StateBatch(decisions: fresh.map { decision($0) }))
    ids += fresh
    // Retention of t2: its rows leave the index, the default tenant's colliding rows stay.
    let pruned = try other.pruneAudit(before: Int64.max, tenant: "t2")
    #expect(pruned.map(\.removed) == [otherIDs.count])
    try checkEveryID()  // t2's lines from pruned_event
    #expect(
      try Self.count(
        path,
        "SELECT COUNT(*) FROM event_index AS e WHERE NOT EXISTS (SELECT 1 FROM decision WHERE id = e.decision_id)"
      )
        == 0, "no entry outlives its decision")
    try store.close()
    store = try SQLiteStateStore(path: path, foldEvery: 25)
    try store.narrowEventKeysForTesting(bits: 3)
    other = store.forTenant("t2")
    try checkEveryID()
    #expect(try store.allEventIDs() == Set(ids))
    #expect(try other.allEventIDs() == Set(otherIDs))
    try store.foldNow()
    try checkEveryID()
    #expect(try store.verifyAuditChain().isIntact)
    try store.close()
  }

  static func count(_ path: String, _ sql: String) throws -> Int {
    try SQLiteWritePathTests.rows(path, sql).first?[0] ?? -1
  }
}
