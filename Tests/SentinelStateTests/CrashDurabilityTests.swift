// Durability under kill -9: a child process (this test binary, re-invoked to run only
// `crashWriterChild` with SENTINEL_STATE_CRASH_DB set) commits batches as the runtime would —
// load states, apply, commit states + decisions — and reports each commit on stdout. The parent
// kills it with SIGKILL at a random moment, reopens the database, and checks that every reported
// batch is there, whole, and that no partial batch exists. Three rounds on one database.

import Foundation
import SentinelModel
import SentinelState
import Testing

#if os(Linux)
  import Glibc
#endif

/// The batch shape of the crash test: 3 state updates and 4 decisions.
private enum CrashBatch {
  static let keys = (0..<3).map { StateKey(aggregate: "n", key: "k\($0)") }
  static let decisionsPerBatch = 4
  static let spec = AggregateSpec(name: "n", kind: .count)

  static func eventID(_ batch: Int, _ j: Int) -> String { "b\(batch)-e\(j)" }
}

@Suite struct CrashDurabilityTests {
  /// The child's body: does nothing unless SENTINEL_STATE_CRASH_DB is set.
  @Test func crashWriterChild() throws {
    guard let path = ProcessInfo.processInfo.environment["SENTINEL_STATE_CRASH_DB"] else { return }
    let store = try SQLiteStateStore(path: path)
    var batch = try store.decisionCount() / CrashBatch.decisionsPerBatch
    while batch < 100_000 {
      var b = StateBatch()
      for k in CrashBatch.keys {
        var s = try store.loadState(k) ?? AggregateState(kind: .count)
        s.apply(CrashBatch.spec, at: at(Int64(batch)), value: .null)
        b.states.append((k, s))
      }
      for j in 0..<CrashBatch.decisionsPerBatch { b.decisions.append(decision(CrashBatch.eventID(batch, j))) }
      try store.commit(b)
      FileHandle.standardOutput.write(Data("committed \(batch)\n".utf8))
      batch += 1
    }
  }

  #if os(Linux)
    @Test func committedBatchesSurviveKill9() throws {
      let path = temporaryDatabase()
      defer { removeDatabase(path) }
      var rng = SplitMix64(seed: UInt64(UInt32(truncatingIfNeeded: getpid())))
      var reported = -1
      for round in 0..<3 {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["--testing-library", "swift-testing", "--filter", "crashWriterChild"]
        var env = ProcessInfo.processInfo.environment
        env["SENTINEL_STATE_CRASH_DB"] = path
        child.environment = env
        let out = Pipe()
        child.standardOutput = out
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Kill it after it reported a few commits plus a random delay (mid-commit, most likely).
        let deadline = Date().addingTimeInterval(8)
        var text = ""
        let handle = out.fileHandleForReading
        let startCount = reported
        while Date() < deadline {
          let chunk = handle.availableData
          if chunk.isEmpty { break }
          text += String(decoding: chunk, as: UTF8.self)
          let n = text.components(separatedBy: "\n").filter { $0.hasPrefix("committed ") }.count
          if n >= 5 { break }
        }
        usleep(UInt32(rng.next() % 300_000))
        kill(child.processIdentifier, SIGKILL)
        // Collect what it reported before dying.
        text += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal, "round \(round): the child was killed")
        for line in text.split(separator: "\n") where line.hasPrefix("committed ") {
          if let n = Int(line.dropFirst("committed ".count)) { reported = max(reported, n) }
        }
        #expect(reported > startCount, "round \(round): the child committed something")
        try check(path, reported: reported)
      }
    }

    /// Every batch up to `reported` is whole; at most one more (committed, not yet reported) is
    /// whole too; nothing else is there; the states count exactly the committed batches.
    private func check(_ path: String, reported: Int) throws {
      let store = try SQLiteStateStore(path: path, readOnly: false)
      let count = try store.decisionCount()
      #expect(count % CrashBatch.decisionsPerBatch == 0, "no partial batch: \(count) decisions")
      let batches = count / CrashBatch.decisionsPerBatch
      #expect(
        batches == reported + 1 || batches == reported + 2, "reported \(reported), found \(batches) batches")
      for batch in 0..<batches {
        for j in 0..<CrashBatch.decisionsPerBatch {
          #expect(
            try store.decisionLine(forEventID: CrashBatch.eventID(batch, j)) != nil, "batch \(batch) is whole"
          )
        }
      }
      for k in CrashBatch.keys { #expect(countOf(try store.loadState(k)) == Int64(batches), "\(k)") }
      try store.close()
    }
  #endif
}
