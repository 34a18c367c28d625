// How a state database erases what is deleted (`PRAGMA secure_delete`): commits run with FAST
// (deleted content is zeroed inside the pages a statement writes anyway, freed pages are not
// written again), and the audit log's retention (`pruneAudit`) runs with ON, so that a removed
// record leaves no trace in the file's freed pages either.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import Testing

@Suite struct SQLiteSecureDeleteTests {
  @Test func commitsRunWithSecureDeleteFast() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    // 2 is FAST (0 off, 1 on: Debian's SQLite is built with ON as its default).
    #expect(try store.pragma("secure_delete") == "2")
    try store.commit(StateBatch(decisions: (1...3).map { decision("e\($0)") }))
    _ = try store.pruneAudit(before: .max)
    // Retention's ON does not outlive its transaction.
    #expect(try store.pragma("secure_delete") == "2")
    try store.close()
  }

  @Test func pruningLeavesNoTraceOfARemovedRecordInTheFile() throws {
    let path = temporaryDatabase()
    defer { removeDatabase(path) }
    let store = try SQLiteStateStore(path: path)
    // Enough records for the prune to free whole pages of the decision table.
    try store.commit(StateBatch(decisions: (1...400).map { decision("evt-\($0)") }))
    Thread.sleep(forTimeInterval: 0.02)
    try store.commit(StateBatch(decisions: (401...410).map { decision("evt-\($0)") }))
    let q = try DatabaseQueue(path: path)
    // A record in the middle: its hash is stored nowhere else (the next record's prev_hash is
    // pruned too, and the anchor holds the last pruned record's hash).
    let hash = try #require(
      try q.read { try String.fetchOne($0, sql: "SELECT hash FROM decision WHERE seq = 100") })
    try q.close()
    try store.close()
    // The check can fail: before the prune, the hash is in the file.
    #expect(try Self.fileContains(path, hash))
    let again = try SQLiteStateStore(path: path)
    let cutoff = try DatabaseQueue(path: path).read {
      try Int64.fetchOne($0, sql: "SELECT decided_at FROM decision WHERE seq = 401")
    }
    let pruned = try again.pruneAudit(before: try #require(cutoff))
    #expect(pruned.first?.removed == 400, "\(pruned)")
    try again.close()
    #expect(try !Self.fileContains(path, hash))
  }

  /// Whether the database file (checkpointed: the stores were closed) holds `text`'s bytes.
  static func fileContains(_ path: String, _ text: String) throws -> Bool {
    let wal = path + "-wal"
    let walBytes =
      FileManager.default.fileExists(atPath: wal) ? try Data(contentsOf: URL(fileURLWithPath: wal)).count : 0
    #expect(walBytes == 0)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.range(of: Data(text.utf8)) != nil
  }
}
