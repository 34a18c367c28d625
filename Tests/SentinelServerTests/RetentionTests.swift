// Retention inside the daemon (`sentinel serve --retention-days N --retention-interval S`), with
// real processes: the running daemon prunes its own decision log on schedule, keeps the chain
// verifiable from the anchor, keeps pruned event ids deduplicated, counts its runs in /metrics,
// and refuses to prune a chain that does not verify.

import Foundation
import SentinelState
import SentinelTestSupport
import Testing

@Suite(.serialized) struct RetentionTests {
  /// The value of the metric line `name` (labels included) in `/metrics`, or nil.
  static func metric(_ daemon: Daemon, _ name: String) async throws -> Double? {
    let text = try await daemon.get("/metrics", key: nil).body
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
      return Double(line.dropFirst(name.count + 1))
    }
    return nil
  }

  /// Polls `/metrics` until `name` reaches `value` (up to `seconds`); its last value.
  static func waitForMetric(_ daemon: Daemon, _ name: String, atLeast value: Double, seconds: Int = 30)
    async throws -> Double?
  {
    var last: Double?
    for _ in 0..<(seconds * 10) {
      last = try await metric(daemon, name)
      if let last, last >= value { return last }
      try await Task.sleep(for: .milliseconds(100))
    }
    return last
  }

  static func event(_ i: Int, amount: Int = 9500) -> String {
    #"{"event_id":"r-\#(i)","type":"transaction","ts":"2026-11-25T10:00:0\#(i)Z","user_id":"u-\#(i)","#
      + #""amount":\#(amount),"country_code":"GB","card_country":"KP","merchant_category":"5411"}"#
  }

  @Test func theDaemonPrunesItsDecisionLogOnSchedule() async throws {
    let daemon = try Daemon(extraArguments: [
      "--retention-days", "0", "--retention-interval", "1", "--commit-delay-ms", "0", "--log-format", "text",
    ])
    var lines: [String: String] = [:]
    for i in 1...5 {
      let answer = try await daemon.post("/v1/decisions", Self.event(i))
      #expect(answer.status == 200, "\(answer.body)")
      lines["r-\(i)"] = DaemonTests.string(answer.map, "action")
    }
    // Every record is committed before now: a run after the last commit removes all five.
    let pruned = try await Self.waitForMetric(daemon, "sentinel_audit_pruned_records_total", atLeast: 5)
    #expect(pruned == 5, "pruned records: \(String(describing: pruned))")
    let runs = try await Self.metric(daemon, #"sentinel_audit_retention_runs_total{result="success"}"#)
    #expect(runs ?? 0 >= 1)
    #expect(try await Self.metric(daemon, #"sentinel_audit_retention_runs_total{result="failure"}"#) == nil)
    for i in 1...5 {
      let stored = try await daemon.get("/v1/decisions/r-\(i)")
      #expect(stored.status == 200, "\(stored.body)")
      #expect(stored.body.contains(#""audit":{"pruned":true}"#), "\(stored.body)")
      #expect(DaemonTests.string(stored.map, "action") == lines["r-\(i)"])
    }
    // A pruned event id sent again gets its original decision, not a new one.
    let again = try await daemon.post("/v1/decisions", Self.event(3, amount: 1))
    #expect(again.status == 200, "\(again.body)")
    #expect(again.body.contains(#""duplicate":true"#), "\(again.body)")
    #expect(DaemonTests.string(again.map, "action") == lines["r-3"])
    // The chain goes on from the anchor.
    let later = try await daemon.post("/v1/decisions", Self.event(6))
    #expect(later.status == 200, "\(later.body)")
    #expect(daemon.terminate() == 0)
    #expect(try daemon.logText().contains("audit retention pruned the decision log"))
    let verify = try runSentinel(["audit", "verify", "--db", daemon.db])
    #expect(verify.status == 0, "\(verify.out)\(verify.err)")
    #expect(verify.out.contains("anchored at seq"), "\(verify.out)")
    let store = try SQLiteStateStore(path: daemon.db, readOnly: true)
    #expect(try store.decisionLine(forEventID: "r-6") != nil)
    #expect(try store.decisionLine(forEventID: "r-1") != nil)
    try store.close()
  }

  @Test func aBrokenChainIsNotPruned() async throws {
    let (dir, db) = try AuditTests.replayedDatabase()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let count = try SQLiteStateStore(path: db, readOnly: true).decisionCount()
    try AuditTests.sql(db, "UPDATE decision SET score = score + 1 WHERE tenant = 'default' AND seq = 7")
    let daemon = try Daemon(
      extraArguments: ["--retention-days", "0", "--retention-interval", "1", "--log-format", "text"], db: db)
    let failed = try await Self.waitForMetric(
      daemon, #"sentinel_audit_retention_runs_total{result="failure"}"#, atLeast: 1)
    #expect(failed ?? 0 >= 1, "failed runs: \(String(describing: failed))")
    #expect(try await Self.metric(daemon, "sentinel_audit_pruned_records_total") == nil)
    #expect(daemon.terminate() == 0)
    let log = try daemon.logText()
    #expect(log.contains("audit retention did not prune") && log.contains("seq 7"), "\(log)")
    #expect(try SQLiteStateStore(path: db, readOnly: true).decisionCount() == count)
  }

  @Test func badRetentionOptionsAreRefused() throws {
    for (args, message) in [
      (["--retention-days=-1"], "--retention-days must be from 0 to 100000"),
      (["--retention-days", "7", "--retention-interval", "0"], "--retention-interval must be from 1"),
    ] {
      let r = try runSentinel(["serve", "--rules", Repo.rules, "--db", "/nonexistent/x.db"] + args)
      #expect(r.status != 0)
      #expect(r.err.contains(message), "\(args): \(r.err)")
    }
  }
}
