// The deferred event-id index and state log (`SQLiteStateStore+Fold.swift`, migration
// `v5_deferred_indexes`): stores that fold after every commit, every few decisions and never
// answer every read like the in-memory store on the same random batches; duplicates are refused
// whether the first decision is in the batch, the tail or the index; a second connection and a
// reopened file see the tail; retention and the upgrade of a v4 database keep the index whole;
// a malformed log row is reported by name.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct DeferredIndexTests {
  /// Random batches over a few hundred state keys and fresh event ids (seeded).
  static func batches(seed: UInt64, count: Int) -> [StateBatch] {
    var rng = SplitMix64(seed: seed)
    var out: [StateBatch] = []
    var nextID = 0
    for _ in 0..<count {
      var b = StateBatch()
      for _ in 0..<Int(rng.next() % 9) {
        let key = StateKey(aggregate: rng.next() % 2 == 0 ? "logins" : "spend", key: "u\(rng.next() % 300)")
        b.states.append((key, countState(Int(rng.next() % 50))))
      }
      for _ in 0..<Int(rng.next() % 12) {
        nextID += 1
        b.decisions.append(decision("ev-\(rng.next() % 1_000_000)-\(nextID)", score: Int(rng.next() % 120)))
      }
      out.append(b)
    }
    return out
  }

  /// Everything a reader can ask a store, for comparison.
  struct Snapshot: Equatable {
    var states: [StateKey: [UInt8]]
    var loaded: [StateKey: [UInt8]]
    var lines: [String: String]
    var ids: Set<String>
    var log: [LoggedDecision]
    var stateCount: Int
  }

  static func snapshot(_ store: SQLiteStateStore, keys: [StateKey], ids: [String]) throws -> Snapshot {
    var loaded: [StateKey: [UInt8]] = [:]
    for k in keys { loaded[k] = try store.loadState(k)?.encoded() }
    var lines: [String: String] = [:]
    for id in ids { lines[id] = try store.decisionLine(forEventID: id) }
    return Snapshot(
      states: try store.allStates().mapValues { $0.encoded() }, loaded: loaded, lines: lines,
      ids: try store.allEventIDs(), log: try store.decisions(), stateCount: try store.stateCount())
  }

  @Test(arguments: [1, 7, 50, 1_000_000])
  func foldingAtAnyIntervalReadsLikeTheInMemoryStore(foldEvery: Int) throws {
    let batches = Self.batches(seed: 42, count: 120)
    let memory = InMemoryStateStore()
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, foldEvery: foldEvery)
    var keys: [StateKey] = []
    var ids: [String] = []
    for (i, b) in batches.enumerated() {
      try memory.commit(b)
      try store.commit(b)
      keys += b.states.map(\.0)
      ids += b.decisions.map(\.eventID)
      if i % 40 == 39 {
        let s = try Self.snapshot(store, keys: keys, ids: ids + ["never-seen"])
        let mem = try memory.allStates()
        #expect(s.states == mem.mapValues { $0.encoded() }, "after batch \(i)")
        #expect(s.ids == Set(ids))
        #expect(s.lines["never-seen"] == nil)
        for id in ids { #expect(s.lines[id] == (try memory.decisionLine(forEventID: id))) }
        for k in keys { #expect(s.loaded[k] == mem[k]?.encoded(), "\(k)") }
        #expect(s.stateCount == memory.stateCount())
        #expect(s.log == (try memory.decisions()))
      }
    }
    let backlog = try store.foldBacklog()
    if foldEvery == 1 { #expect(backlog.decisions == 0 && backlog.states < 4) }
    if foldEvery == 1_000_000 { #expect(backlog.decisions == ids.count) }
    #expect(try store.verifyAuditChain().isIntact)
    // Folding by hand changes no answer, and leaves nothing behind.
    let before = try Self.snapshot(store, keys: keys, ids: ids)
    try store.foldNow()
    #expect(try store.foldBacklog() == (0, 0))
    #expect(try Self.snapshot(store, keys: keys, ids: ids) == before)
    // Reopened (the tail read back from the tables), the answers are the same.
    try store.close()
    let again = try SQLiteStateStore(path: path, foldEvery: foldEvery)
    #expect(try Self.snapshot(again, keys: keys, ids: ids) == before)
    try again.close()
  }

  @Test func aReopenedFileReadsItsTailBack() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let batches = Self.batches(seed: 7, count: 30)
    var keys: [StateKey] = []
    var ids: [String] = []
    let first = try SQLiteStateStore(path: path, foldEvery: 40)
    for b in batches {
      try first.commit(b)
      keys += b.states.map(\.0)
      ids += b.decisions.map(\.eventID)
    }
    let expected = try Self.snapshot(first, keys: keys, ids: ids)
    #expect(try first.foldBacklog().decisions > 0, "the run ends with a tail")
    try first.close()
    let second = try SQLiteStateStore(path: path, foldEvery: 40)
    #expect(try Self.snapshot(second, keys: keys, ids: ids) == expected)
    let tailID = try #require(ids.last)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: tailID)) {
      try second.commit(StateBatch(decisions: [decision(tailID)]))
    }
  }

  @Test func duplicatesAreRefusedWhereverTheFirstIsAndNothingIsWritten() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, foldEvery: 3)
    try store.commit(StateBatch(decisions: [decision("a"), decision("b"), decision("c")]))  // folded
    try store.commit(StateBatch(decisions: [decision("d")]))  // in the tail
    #expect(try store.foldBacklog().decisions == 1)
    let key = StateKey(aggregate: "n", key: "u")
    for dup in ["a", "d"] {
      let batch = StateBatch(
        states: [(key, countState(9))], decisions: [decision("x-\(dup)"), decision(dup)])
      #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: dup)) {
        try store.commit(batch)
      }
    }
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "y")) {
      try store.commit(StateBatch(decisions: [decision("y"), decision("y")]))
    }
    // Nothing of the refused batches: no state, no decision, no id, and the next commit works.
    #expect(try store.loadState(key) == nil)
    #expect(try store.decisionCount() == 4)
    #expect(try store.decisionLine(forEventID: "x-a") == nil)
    #expect(try store.decisionLine(forEventID: "y") == nil)
    #expect(try store.allEventIDs() == ["a", "b", "c", "d"])
    try store.commit(StateBatch(states: [(key, countState(2))], decisions: [decision("x-a")]))
    #expect(countOf(try store.loadState(key)) == 2)
    #expect(try store.verifyAuditChain().isIntact)
    // The same event id in another tenant is another event.
    try store.forTenant("other").commit(StateBatch(decisions: [decision("a"), decision("d")]))
    #expect(try store.forTenant("other").allEventIDs() == ["a", "d"])
  }

  @Test func aSecondConnectionSeesTheFirstsTail() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let one = try SQLiteStateStore(path: path, foldEvery: 1_000)
    let two = try SQLiteStateStore(path: path, foldEvery: 1_000)
    let key = StateKey(aggregate: "n", key: "u")
    #expect(try two.loadState(key) == nil)  // two's cache is now current
    try one.commit(StateBatch(states: [(key, countState(3))], decisions: [decision("e1")]))
    #expect(countOf(try two.loadState(key)) == 3)
    #expect(try two.decisionLine(forEventID: "e1") == decision("e1").line)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "e1")) {
      try two.commit(StateBatch(decisions: [decision("e1")]))
    }
    try two.commit(StateBatch(states: [(key, countState(5))], decisions: [decision("e2")]))
    #expect(countOf(try one.loadState(key)) == 5)
    // A fold by one connection: the other's tail in memory is stale, and is read again.
    try one.foldNow()
    #expect(try two.foldBacklog() == (0, 0))
    #expect(countOf(try two.loadState(key)) == 5)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "e2")) {
      try two.commit(StateBatch(decisions: [decision("e2")]))
    }
    try two.close()
    try one.close()
  }

  @Test func retentionTakesPrunedIdsOutOfTheIndexAndKeepsTheTailRight() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, foldEvery: 4)
    try store.commit(StateBatch(decisions: (1...5).map { decision("old\($0)") }))  // folded
    try store.commit(StateBatch(decisions: [decision("old6")]))  // tail
    let results = try store.pruneAudit(before: Int64.max)
    #expect(results.map(\.removed) == [6])
    for i in 1...6 {
      #expect(try store.decisionLine(forEventID: "old\(i)") == decision("old\(i)").line, "from pruned_event")
    }
    #expect(try Self.count(path, "SELECT COUNT(*) FROM event_index") == 0)
    // Every row went, the last one too: new rows reuse its rowid, and must not count as indexed.
    try store.commit(StateBatch(decisions: [decision("new1"), decision("new2")]))
    try store.close()
    let reopened = try SQLiteStateStore(path: path, foldEvery: 4)
    #expect(try reopened.foldBacklog().decisions == 2)
    #expect(try reopened.decisionLine(forEventID: "new2") == decision("new2").line)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "new1")) {
      try reopened.commit(StateBatch(decisions: [decision("new1")]))
    }
    try reopened.commit(StateBatch(decisions: [decision("new3"), decision("new4")]))  // folds
    #expect(try Self.count(path, "SELECT COUNT(*) FROM event_index") == 4)
    #expect(try reopened.verifyAuditChain().isIntact)
  }

  @Test func aVersion4DatabaseIsUpgraded() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let key = StateKey(aggregate: "n", key: "u")
    do {
      let store = try SQLiteStateStore(path: path, foldEvery: 1)
      try store.commit(StateBatch(states: [(key, countState(4))], decisions: [decision("b"), decision("a")]))
      try store.foldNow()  // a v4 file has its states in `aggregate_state`
      try store.close()
    }
    // Back to the v4 layout: the unique index on event ids, no index table, log or mark.
    let q = try DatabaseQueue(path: path)
    try q.write { db in
      try db.execute(
        sql: """
          DROP TABLE event_index;
          DROP TABLE state_log;
          DROP TABLE fold_mark;
          CREATE UNIQUE INDEX decision_by_event ON decision (tenant, event_id);
          DELETE FROM grdb_migrations WHERE identifier = 'v5_deferred_indexes';
          DELETE FROM meta WHERE key = 'event_key_seed';
          DELETE FROM grdb_migrations WHERE identifier = 'v6_hashed_event_index';
          """)
    }
    try q.close()
    let store = try SQLiteStateStore(path: path, foldEvery: 100)
    #expect(try Self.count(path, "SELECT COUNT(*) FROM event_index") == 2)
    #expect(
      try Self.count(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'decision_by_event'") == 0)
    #expect(try store.foldBacklog() == (0, 0))
    #expect(try store.decisionLine(forEventID: "a") == decision("a").line)
    #expect(countOf(try store.loadState(key)) == 4)
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "b")) {
      try store.commit(StateBatch(decisions: [decision("b")]))
    }
    try store.commit(StateBatch(decisions: [decision("c")]))
    #expect(try store.decisions().map(\.sequence) == [1, 2, 3])
    #expect(try store.verifyAuditChain().isIntact)
  }

  @Test func aMalformedLogRowIsNamed() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    do {
      let store = try SQLiteStateStore(path: path, foldEvery: 100)
      try store.commit(StateBatch(states: [(StateKey(aggregate: "n", key: "u"), countState(1))]))
      try store.close()
    }
    let q = try DatabaseQueue(path: path)
    try q.write { try $0.execute(sql: "UPDATE state_log SET entries = X'0500000061'") }
    try q.close()
    let store = try SQLiteStateStore(path: path, foldEvery: 100)
    #expect {
      _ = try store.loadState(StateKey(aggregate: "n", key: "u"))
    } throws: { error in
      "\(error)".contains("state_log row 1 is malformed at byte 0")
    }
  }

  static func count(_ path: String, _ sql: String) throws -> Int {
    try SQLiteWritePathTests.rows(path, sql).first?[0] ?? -1
  }
}

extension DeferredIndexTests {
  /// The filter of indexed ids (rebuilt as it fills) never hides an indexed id: every
  /// duplicate of a folded decision is refused, across several rebuilds and a reopen.
  @Test func everyIndexedIdIsStillFoundThroughTheFilter() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    var store = try SQLiteStateStore(path: path, foldEvery: 500)
    var ids: [String] = []
    for b in 0..<60 {
      let batch = (0..<250).map { i in decision("id-\(b)-\(i)-\(b &* 7919 &+ i)") }
      ids += batch.map(\.eventID)
      try store.commit(StateBatch(decisions: batch))
      if b == 30 {
        try store.close()
        store = try SQLiteStateStore(path: path, foldEvery: 500)
      }
    }
    var rng = SplitMix64(seed: 3)
    for _ in 0..<300 {
      let id = ids[Int(rng.next() % UInt64(ids.count))]
      #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: id)) {
        try store.commit(StateBatch(decisions: [decision("fresh-\(rng.next())"), decision(id)]))
      }
    }
    #expect(try store.decisionCount() == ids.count)
    #expect(try Self.count(path, "SELECT COUNT(*) FROM event_index") == 15_000)
  }
}

/// Audit-chain links computed ahead of the commit (`SQLiteStateStore.prelink`).
@Suite struct PrelinkTests {
  @Test func linksComputedAheadGiveTheChainTheCommitWouldHaveMade() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    var tip = try store.chainTip()
    for b in 0..<5 {
      var batch = StateBatch(decisions: (0..<7).map { decision("p-\(b)-\($0)") })
      let links = try store.prelink(batch.decisions, after: tip)
      batch.prelinked = links
      try store.commit(batch)
      tip = links.end
      #expect(try store.chainTip() == tip, "the commit used the links: the chain is where they end")
    }
    let report = try store.verifyAuditChain()
    #expect(report.isIntact && report.records == 35, "\(report)")
  }

  @Test func staleOrForeignLinksAreNotUsed() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    let start = try store.chainTip()
    // Links after a head that is no longer the head (another batch committed first).
    var late = StateBatch(decisions: [decision("late")])
    late.prelinked = try store.prelink(late.decisions, after: start)
    try store.commit(StateBatch(decisions: [decision("first")]))
    try store.commit(late)
    // Links of other decisions than the batch's.
    var other = StateBatch(decisions: [decision("mine")])
    other.prelinked = try store.prelink([decision("theirs")], after: try store.chainTip())
    try store.commit(other)
    let report = try store.verifyAuditChain()
    #expect(report.isIntact && report.records == 3, "\(report)")
    #expect(try store.decisions().map(\.record.eventID) == ["first", "late", "mine"])
  }
}
