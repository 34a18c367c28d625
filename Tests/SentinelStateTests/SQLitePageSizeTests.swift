// The page size of a state database (`SQLiteStateStore.defaultPageSize`): a new file gets the
// size asked for, an existing file keeps its own whatever is asked, the checkpoint threshold
// follows the file's page size, and the same batches give the same stored contents (states,
// decisions, audit chain) at every page size.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct SQLitePageSizeTests {
  /// Batches that touch many keys and decisions, so that the B-trees span many pages.
  static func batches() -> [StateBatch] {
    (0..<6).map { b in
      let states = (0..<150).map { k in
        (StateKey(aggregate: "agg\(k % 3)", key: "user-\((k * 7919 + b * 31) % 400)"), countState(k % 9 + b))
      }
      let decisions = (0..<120).map { i in decision("evt-\((b * 120 + i) * 2_654_435_761 % 1_000_003)") }
      return StateBatch(states: states, decisions: decisions)
    }
  }

  static func contents(_ store: SQLiteStateStore) throws -> (
    states: [StateKey: AggregateState], decisions: [LoggedDecision]
  ) {
    var logged: [LoggedDecision] = []
    try store.forEachDecision(after: 0) {
      logged.append($0)
      return true
    }
    return (try store.allStates(), logged)
  }

  @Test(arguments: [1024, 2048, 4096])
  func aNewFileGetsThePageSizeAskedForAndStoresTheSameContents(_ size: Int) throws {
    let path = temporaryDatabase()
    let reference = temporaryDatabase()
    defer {
      removeDatabase(path)
      removeDatabase(reference)
    }
    let store = try SQLiteStateStore(path: path, pageSize: size)
    let other = try SQLiteStateStore(path: reference, pageSize: size == 4096 ? 1024 : 4096)
    for batch in Self.batches() {
      try store.commit(batch)
      try other.commit(batch)
    }
    #expect(try store.pragma("page_size") == String(size))
    #expect(try store.pragma("wal_autocheckpoint") == String((40 << 20) / size))
    let a = try Self.contents(store)
    let b = try Self.contents(other)
    #expect(!a.states.isEmpty)
    #expect(a.decisions.count == 720)
    #expect(a.states == b.states)
    #expect(a.decisions.map(\.record) == b.decisions.map(\.record))
    #expect(a.decisions.map(\.sequence) == b.decisions.map(\.sequence))
    #expect(try store.verifyAuditChain().isIntact)
    for d in a.decisions.prefix(50) {
      #expect(try store.decisionLine(forEventID: d.record.eventID) == d.record.line)
    }
    try store.close()
    try other.close()
  }

  /// The page size is the file's: reopening with another size keeps it, and keeps every row.
  @Test func anExistingFileKeepsItsPageSize() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path, pageSize: 4096)
    let batches = Self.batches()
    try store.commit(batches[0])
    let before = try Self.contents(store)
    try store.close()
    let reopened = try SQLiteStateStore(path: path, pageSize: 1024)
    #expect(try reopened.pragma("page_size") == "4096")
    #expect(try reopened.pragma("wal_autocheckpoint") == "10240")
    let after = try Self.contents(reopened)
    #expect(after.states == before.states)
    #expect(after.decisions == before.decisions)
    try reopened.commit(batches[1])
    #expect(try reopened.decisionCount() == 240)
    #expect(try reopened.verifyAuditChain().isIntact)
    try reopened.close()
    let readOnly = try SQLiteStateStore(path: path, readOnly: true, pageSize: 1024)
    #expect(try readOnly.pragma("page_size") == "4096")
    #expect(try readOnly.decisionCount() == 240)
    try readOnly.close()
  }

  /// A new file without a size asked for gets the default.
  @Test func aNewFileGetsTheDefaultPageSize() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    try store.commit(Self.batches()[0])
    #expect(try store.pragma("page_size") == String(SQLiteStateStore.defaultPageSize))
    try store.close()
  }
}
