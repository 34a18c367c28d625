// The body timeout's watchdog: a read that finishes in time gives its bytes, one that does not
// is cancelled and gives nil (even when it returns something once cancelled), an error of the
// read is rethrown, and the watchdog stops when no read is left (a later read starts it again).
// The late reads sleep for an hour unless cancelled, and no test times anything: other suites
// running at once can hold the cooperative pool's threads for seconds.

import NIOCore
import Testing

@testable import SentinelServer

@Suite struct BodyReadWatchdogTests {
  struct ReadFailed: Error {}

  @Test func aReadInTimeGivesItsBytes() async throws {
    let watchdog = BodyReadWatchdog(tick: .milliseconds(20))
    let got = try await watchdog.collect(within: .seconds(5)) { ByteBuffer(string: "{\"a\":1}") }
    #expect(got.map { String(buffer: $0) } == "{\"a\":1}")
  }

  @Test func aLateReadIsCancelledAndGivesNil() async throws {
    let watchdog = BodyReadWatchdog(tick: .milliseconds(20))
    // Returns a cut-short body once cancelled: still a timeout.
    let got = try await watchdog.collect(within: .milliseconds(100)) {
      try? await Task.sleep(for: .seconds(3_600))
      return ByteBuffer(string: "{\"cut")
    }
    #expect(got == nil)
    // The watchdog stopped with no read left, and starts again for the next one.
    let again = try await watchdog.collect(within: .milliseconds(100)) {
      try await Task.sleep(for: .seconds(3_600))
      return ByteBuffer(string: "late")
    }
    #expect(again == nil)
  }

  @Test func aReadErrorIsRethrown() async {
    let watchdog = BodyReadWatchdog(tick: .milliseconds(20))
    await #expect(throws: ReadFailed.self) {
      _ = try await watchdog.collect(within: .seconds(5)) { throw ReadFailed() }
    }
  }

  @Test func manyReadsAtOnceEachGetTheirOwnOutcome() async throws {
    let watchdog = BodyReadWatchdog(tick: .milliseconds(20))
    var results = [String](repeating: "unanswered", count: 50)
    try await withThrowingTaskGroup(of: (Int, String).self) { group in
      for i in 0..<50 {
        group.addTask {
          let got = try await watchdog.collect(within: .milliseconds(i % 2 == 0 ? 5_000 : 100)) {
            if i % 2 == 1 { try? await Task.sleep(for: .seconds(3_600)) }
            return ByteBuffer(string: "\(i)")
          }
          return (i, got.map { String(buffer: $0) } ?? "timeout")
        }
      }
      for try await (i, s) in group { results[i] = s }
    }
    for i in 0..<50 { #expect(results[i] == (i % 2 == 0 ? "\(i)" : "timeout"), "read \(i)") }
  }
}
