// The SQLite store: round trips across reopen, atomic batches, WAL + synchronous=FULL, tenants,
// read-only mode, and precise errors on foreign, corrupt or newer files.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct SQLiteStateStoreTests {
  @Test func pageCacheIsSetPerConnection() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let small = try SQLiteStateStore(path: path, cacheMiB: 3)
    #expect(try small.pragma("cache_size") == "-3072", "3 MiB, in KiB, negative")
    let other = try SQLiteStateStore(path: path, readOnly: true)
    #expect(try other.pragma("cache_size") == "-32768", "the default on another connection")
    #expect(try small.pragma("cache_size") == "-3072", "unchanged by the other connection")
    try other.close()
    try small.close()
  }

  @Test func commitReopenAndReadBack() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let spec = AggregateSpec(name: "amounts", kind: .stats, windowNanos: 3600 * secondNanos)
    let stats = state(spec, [(at(0), .double(10)), (at(5), .double(20.5))])
    let key = StateKey(aggregate: "amounts", key: "s6:user-1")
    do {
      let store = try SQLiteStateStore(path: path)
      #expect(try store.pragma("journal_mode") == "wal")
      #expect(try store.pragma("synchronous") == "2", "FULL")
      try store.commit(
        StateBatch(states: [(key, stats)], decisions: [decision("e1"), decision("e2", score: 100)]))
      try store.commit(StateBatch(states: [], decisions: [decision("e3", rules: [], time: at(9, 250))]))
      try store.close()
    }
    let store = try SQLiteStateStore(path: path)
    #expect(
      try store.pragma("cache_size") == "\(-1024 * SQLiteStateStore.defaultCacheMiB)", "32 MiB by default")
    #expect(try store.loadState(key) == stats)
    #expect(try store.loadState(StateKey(aggregate: "amounts", key: "s6:user-2")) == nil)
    #expect(try store.decisionLine(forEventID: "e2") == decision("e2", score: 100).line)
    #expect(try store.decisionLine(forEventID: "nope") == nil)
    #expect(try store.decisionCount() == 3)
    let log = try store.decisions()
    #expect(log.map(\.sequence) == [1, 2, 3])
    #expect(
      log.map(\.record) == [
        decision("e1"), decision("e2", score: 100), decision("e3", rules: [], time: at(9, 250)),
      ])
    #expect(try store.decisions(after: 1, limit: 1).map(\.record.eventID) == ["e2"])
  }

  @Test func aFailingBatchLeavesNothing() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    let a = StateKey(aggregate: "n", key: "a")
    let b = StateKey(aggregate: "n", key: "b")
    try store.commit(StateBatch(states: [(a, countState(1))], decisions: [decision("e1")]))
    // The second decision repeats e1: the states and the first decision must not be written.
    let failing = StateBatch(
      states: [(a, countState(2)), (b, countState(1))], decisions: [decision("e2"), decision("e1")])
    #expect(throws: StateStoreError.duplicateEventID(path: path, tenant: "default", eventID: "e1")) {
      try store.commit(failing)
    }
    #expect(countOf(try store.loadState(a)) == 1)
    #expect(try store.loadState(b) == nil)
    #expect(try store.decisionLine(forEventID: "e2") == nil)
    #expect(try store.decisionCount() == 1)
    // A repeat inside one batch is a duplicate too.
    #expect(throws: StateStoreError.self) {
      try store.commit(StateBatch(decisions: [decision("e3"), decision("e3")]))
    }
    #expect(try store.decisionCount() == 1)
    // And the store still works afterwards; sequence numbers continue.
    try store.commit(StateBatch(decisions: [decision("e2")]))
    #expect(try store.decisions().map(\.sequence) == [1, 2])
  }

  @Test func tenantsAreSeparate() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let one = try SQLiteStateStore(path: path, tenant: "one")
    let two = try SQLiteStateStore(path: path, tenant: "two")
    let k = StateKey(aggregate: "n", key: "a")
    try one.commit(StateBatch(states: [(k, countState(1))], decisions: [decision("e1")]))
    try two.commit(StateBatch(states: [(k, countState(5))], decisions: [decision("e1", score: 5)]))
    #expect(countOf(try one.loadState(k)) == 1)
    #expect(countOf(try two.loadState(k)) == 5)
    #expect(try one.decisionLine(forEventID: "e1") == decision("e1").line)
    #expect(try two.decisionLine(forEventID: "e1") == decision("e1", score: 5).line)
    #expect(try two.decisions().map(\.sequence) == [1])
  }

  @Test func readOnly() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    #expect(throws: StateStoreError.cannotOpen(path: path, reason: "no such file")) {
      try SQLiteStateStore(path: path, readOnly: true)
    }
    let writer = try SQLiteStateStore(path: path)
    try writer.commit(StateBatch(decisions: [decision("e1")]))
    let reader = try SQLiteStateStore(path: path, readOnly: true)
    #expect(try reader.decisionCount() == 1)
    #expect(throws: StateStoreError.readOnly(path: path)) {
      try reader.commit(StateBatch(decisions: [decision("e2")]))
    }
  }

  // MARK: - Foreign and corrupt files

  @Test func aFileThatIsNotADatabase() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
    #expect(
      throws: StateStoreError.notAStateDatabase(path: path, reason: "the file is not an SQLite database")
    ) {
      try SQLiteStateStore(path: path)
    }
  }

  @Test func aDatabaseOfAnotherApplication() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    try DatabaseQueue(path: path).write { db in
      try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY)")
    }
    #expect(throws: StateStoreError.notAStateDatabase(path: path, reason: "it holds other tables (`users`)"))
    {
      try SQLiteStateStore(path: path)
    }
    let other = temporaryDatabase()
    defer { removeDatabase(other) }
    try DatabaseQueue(path: other).write { db in try db.execute(sql: "PRAGMA application_id = 42") }
    #expect(
      throws: StateStoreError.notAStateDatabase(path: other, reason: "application id 42 is not SentinelIQ's")
    ) {
      try SQLiteStateStore(path: other)
    }
  }

  @Test func aDatabaseFromANewerVersion() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    try SQLiteStateStore(path: path).close()
    try DatabaseQueue(path: path).write { db in
      try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
    }
    #expect(throws: StateStoreError.self) { try SQLiteStateStore(path: path) }
    do {
      _ = try SQLiteStateStore(path: path)
    } catch {
      #expect("\(error)".contains("newer than this SentinelIQ"))
    }
  }

  @Test func aDatabaseInAnOlderStateEncodingIsRefused() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    try SQLiteStateStore(path: path).close()
    try DatabaseQueue(path: path).write { db in
      try db.execute(sql: "UPDATE meta SET value = '1' WHERE key = 'state_encoding'")
    }
    #expect(
      throws: StateStoreError.notAStateDatabase(
        path: path, reason: "aggregate states are in encoding 1, not 2")
    ) { try SQLiteStateStore(path: path) }
    #expect(
      throws: StateStoreError.notAStateDatabase(
        path: path, reason: "aggregate states are in encoding 1, not 2")
    ) { try SQLiteStateStore(path: path, readOnly: true) }
  }

  @Test func aCorruptStateBlob() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let key = StateKey(aggregate: "n", key: "s1:a")
    // Folded, so that the state is in `aggregate_state` (not only in `state_log`).
    let writer = try SQLiteStateStore(path: path)
    try writer.commit(StateBatch(states: [(key, countState(3))]))
    try writer.foldNow()
    try writer.close()
    try DatabaseQueue(path: path).write { db in
      try db.execute(sql: "UPDATE aggregate_state SET state = X'0201'")
    }
    let store = try SQLiteStateStore(path: path)
    #expect(
      throws: StateStoreError.corruptState(
        path: path, tenant: "default", key: key,
        reason: "malformed aggregate state at byte 2: unexpected end of data")
    ) { try store.loadState(key) }
  }

  @Test func errorMessagesNameTheFile() {
    let e = StateStoreError.corruptState(
      path: "/var/s.db", tenant: "t", key: StateKey(aggregate: "a", key: "k"), reason: "r")
    #expect(e.description == "corrupt aggregate state a[k] of tenant `t` in `/var/s.db`: r")
  }
}
