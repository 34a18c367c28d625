// Splitting batch bodies and the group-commit schedule: pure parts of the daemon, no process.

import Testing

@testable import SentinelServer

@Suite struct BatchBodyTests {
  static func split(_ s: String) throws -> [String] {
    try BatchBody.split(Array(s.utf8)).map { String(decoding: $0, as: UTF8.self) }
  }

  @Test func arrayElementsKeepTheirBytes() throws {
    #expect(
      try Self.split(#" [ {"a":"],}"} , {"b":[1,{"c":2}]} ] "#) == [#"{"a":"],}"}"#, #"{"b":[1,{"c":2}]}"#])
    #expect(try Self.split("[]") == [])
    #expect(try Self.split(#"[{"a":"\"]"}]"#) == [#"{"a":"\"]"}"#])
  }

  @Test func ndjsonSkipsBlankLines() throws {
    #expect(try Self.split("{\"a\":1}\n\n  \n{\"b\":2}\r\n") == ["{\"a\":1}", "{\"b\":2}\r"])
  }

  @Test func malformedArraysAreRejectedWithAMessage() {
    for bad in ["[{\"a\":1}", "[{\"a\":1},]", "[{\"a\":1}] x", "", "[1,,2]"] {
      #expect(throws: BatchBodyError.self, "\(bad)") { try Self.split(bad) }
    }
  }
}

@Suite struct CommitScheduleTests {
  @Test func firstWaiterArmsTheTimerAndTheTimerCommits() {
    var s = CommitSchedule(maxPending: 3)
    #expect(s.requestWaits(pending: 1) == .armTimer)
    #expect(s.requestWaits(pending: 2) == .none)
    #expect(s.timerFired() == .commit)
    s.commitStarted()
    #expect(s.commitFinished() == .none)
    #expect(s.timerFired() == .none)
  }

  @Test func aFullGroupCommitsAtOnce() {
    var s = CommitSchedule(maxPending: 2)
    #expect(s.requestWaits(pending: 1) == .armTimer)
    #expect(s.requestWaits(pending: 2) == .commit)
    s.commitStarted()
    #expect(s.commitFinished() == .none)
    // The timer armed for the first group fires later with nobody waiting.
    #expect(s.timerFired() == .none)
    #expect(s.requestWaits(pending: 1) == .armTimer)
  }

  @Test func withoutDelayTheFirstWaiterCommitsAtOnce() {
    var s = CommitSchedule(maxPending: 256, immediate: true)
    #expect(s.requestWaits(pending: 1) == .commit)
    s.commitStarted()
    #expect(s.commitFinished() == .none)
    #expect(s.requestWaits(pending: 1) == .commit)
  }

  @Test func whileACommitIsInFlightTheNextGroupWaitsForItsReturn() {
    var s = CommitSchedule(maxPending: 2, immediate: true)
    #expect(s.requestWaits(pending: 1) == .commit)
    s.commitStarted()
    // Neither a full group nor the timer starts a second commit while one is in flight.
    #expect(s.requestWaits(pending: 1) == .none)
    #expect(s.requestWaits(pending: 5) == .none)
    #expect(s.timerFired() == .none)
    #expect(s.commitFinished() == .commit)
    s.commitStarted()
    #expect(s.waiters == 0)
    #expect(s.commitFinished() == .none)
  }

  @Test func aTimerThatFiresDuringACommitLeavesTheGroupToItsReturn() {
    var s = CommitSchedule(maxPending: 10)
    #expect(s.requestWaits(pending: 1) == .armTimer)
    #expect(s.timerFired() == .commit)
    s.commitStarted()
    #expect(s.requestWaits(pending: 1) == .none)
    #expect(s.timerFired() == .none)
    #expect(s.commitFinished() == .commit)
  }
}
