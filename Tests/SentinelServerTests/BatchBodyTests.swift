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

  @Test func withAMinimumGroupTheNextCommitWaitsForItOrTheHoldTimer() {
    var s = CommitSchedule(maxPending: 256, immediate: true, minGroup: 3)
    // Idle: the first waiter commits at once (the hold only follows a commit).
    #expect(s.requestWaits(pending: 1) == .commit)
    s.commitStarted()
    #expect(s.requestWaits(pending: 1) == .none)
    // The commit returns with one waiter: the next commit holds (the hold timer), it does not start.
    #expect(s.commitFinished() == .armTimer)
    #expect(s.holding)
    #expect(s.requestWaits(pending: 2) == .none)
    #expect(s.requestWaits(pending: 3) == .commit)
    s.commitStarted()
    #expect(!s.holding)
    // The hold timer fires during that commit: nothing starts.
    #expect(s.timerFired() == .none)
    #expect(s.requestWaits(pending: 1) == .none)
    #expect(s.commitFinished() == .armTimer)
    // Nobody else comes: the timer commits the lone waiter.
    #expect(s.timerFired() == .commit)
    s.commitStarted()
    #expect(s.commitFinished() == .none)
    #expect(s.requestWaits(pending: 1) == .commit)
  }

  @Test func aMinimumGroupWaitingWhenTheCommitReturnsStartsAtOnce() {
    var s = CommitSchedule(maxPending: 4, immediate: true, minGroup: 3)
    #expect(s.requestWaits(pending: 1) == .commit)
    s.commitStarted()
    for p in 1...3 { #expect(s.requestWaits(pending: p) == .none) }
    #expect(s.commitFinished() == .commit)
    s.commitStarted()
    // Holding: a full batch (`maxPending` decisions) starts the commit before the group is
    // complete (a waiter of a batch request can stand for many decisions).
    #expect(s.requestWaits(pending: 1) == .none)
    #expect(s.commitFinished() == .armTimer)
    #expect(s.requestWaits(pending: 4) == .commit)
    s.commitStarted()
    #expect(s.commitFinished() == .none)
  }

  @Test func withADelayAndAMinimumGroupTheDelayTimerServesBoth() {
    var s = CommitSchedule(maxPending: 2, minGroup: 3)
    #expect(s.requestWaits(pending: 1) == .armTimer)
    // A full batch commits before the delay timer fires; the timer stays armed.
    #expect(s.requestWaits(pending: 2) == .commit)
    s.commitStarted()
    #expect(s.requestWaits(pending: 1) == .none)
    // The commit returns while that timer is armed: no second timer; its firing commits.
    #expect(s.commitFinished() == .none)
    #expect(s.holding)
    #expect(s.timerFired() == .commit)
    s.commitStarted()
    #expect(!s.holding)
    #expect(s.commitFinished() == .none)
  }
}
