// The audit chain end to end with real processes: decisions made by the running daemon carry
// their audit record (`GET /v1/decisions/{id}`), the analytics summary counts them, and the
// `sentinel audit verify|export|prune` commands check, archive and prune the daemon's database
// (exit codes and messages), tampering applied with SQL included.

import Foundation
import GRDB
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

@Suite(.serialized) struct AuditTests {
  static func map(_ v: Value?) -> MapValue? {
    if case .map(let m)? = v { return m }
    return nil
  }

  static func int(_ m: MapValue?, _ key: String) -> Int64? {
    if case .int(let n)? = m?[string: key] { return n }
    return nil
  }

  @Test func theDaemonsDecisionsCarryTheirAuditRecordAndAreSummarized() async throws {
    let daemon = try Daemon(extraArguments: ["--commit-delay-ms", "0"])
    var rulesSeen: [String: Int64] = [:]
    var actions: [String: Int64] = [:]
    for i in 1...5 {
      let amount = i % 2 == 0 ? 9500 : 20
      let body =
        #"{"event_id":"a-\#(i)","type":"transaction","ts":"2026-11-25T10:00:0\#(i)Z","user_id":"u-\#(i)","#
        + #""amount":\#(amount),"country_code":"GB","card_country":"\#(i % 2 == 0 ? "KP" : "GB")","merchant_category":"5411"}"#
      let answer = try await daemon.post("/v1/decisions", body)
      #expect(answer.status == 200, "\(answer.body)")
      if case .string(let a)? = answer.map?[string: "action"] { actions[a, default: 0] += 1 }
      if case .list(let rules)? = answer.map?[string: "rules"] {
        for case .string(let r) in rules { rulesSeen[r, default: 0] += 1 }
      }
    }
    #expect(rulesSeen.isEmpty == false, "some rule should match the KP events")

    var previousHash = AuditChain.genesis
    for i in 1...5 {
      let stored = try await daemon.get("/v1/decisions/a-\(i)")
      #expect(stored.status == 200, "\(stored.body)")
      let audit = Self.map(stored.map?[string: "audit"])
      #expect(Self.int(audit, "seq") == Int64(i), "\(stored.body)")
      #expect(DaemonTests.string(audit, "prev_hash") == previousHash)
      let hash = try #require(DaemonTests.string(audit, "hash"))
      #expect(hash.count == 64 && hash != previousHash)
      #expect(DaemonTests.string(audit, "tenant") == "default")
      #expect(DaemonTests.string(audit, "decided_at").flatMap { Timestamp.parse($0) } != nil)
      #expect(DaemonTests.string(stored.map, "decision_id")?.hasPrefix("dec_") == true)
      previousHash = hash
    }
    #expect(try await daemon.get("/v1/decisions/none").status == 404)

    for window in ["1h", "30m", "24h", "7d", nil] {
      let path = "/v1/analytics/summary" + (window.map { "?window=\($0)" } ?? "")
      let summary = try await daemon.get(path)
      #expect(summary.status == 200, "\(path): \(summary.body)")
      #expect(Self.int(summary.map, "total") == 5, "\(summary.body)")
      #expect(DaemonTests.string(summary.map, "window") == window ?? "1h")
      let byAction = Self.map(summary.map?[string: "by_action"])
      for a in ["allow", "review", "block"] {
        #expect(Self.int(byAction, a) == actions[a] ?? 0, "\(a): \(summary.body)")
      }
      let byRule = Self.map(summary.map?[string: "by_rule"])
      #expect(byRule?.count == rulesSeen.count, "\(summary.body)")
      for (rule, n) in rulesSeen { #expect(Self.int(byRule, rule) == n, "\(rule): \(summary.body)") }
    }
    for bad in ["1x", "0m", "h", "-1h", "32d", "1.5h", "", "99999999999999999999h"] {
      let answer = try await daemon.get("/v1/analytics/summary?window=\(bad)")
      #expect(answer.status == 400, "window `\(bad)`: \(answer.status) \(answer.body)")
      #expect(DaemonTests.string(answer.map, "error")?.contains("window") == true, "\(answer.body)")
    }
    #expect(daemon.terminate() == 0)
    let verify = try runSentinel(["audit", "verify", "--db", daemon.db])
    #expect(verify.status == 0, "\(verify.out)\(verify.err)")
    #expect(verify.out.contains("audit chain OK: 1 tenant, 5 records"), "\(verify.out)")
  }

  /// A database written by `sentinel replay` on the reference corpus.
  static func replayedDatabase() throws -> (dir: String, db: String) {
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let replay = try runSentinel([
      "replay", "--rules", Repo.rules, "--state", db, "--batch", "7", "--quiet", "-o",
      dir + "/decisions.jsonl",
      Repo.corpus + "/events.jsonl",
    ])
    #expect(replay.status == 0, "\(replay.err)")
    return (dir, db)
  }

  static func sql(_ db: String, _ statement: String) throws {
    let q = try DatabaseQueue(path: db)
    try q.write { try $0.execute(sql: statement) }
    try q.close()
  }

  @Test func verifyExportAndTamperingThroughTheCommandLine() throws {
    let (dir, db) = try Self.replayedDatabase()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let count = try SQLiteStateStore(path: db, readOnly: true).decisionCount()
    #expect(count > 10)

    var r = try runSentinel(["audit", "verify", "--db", db])
    #expect(r.status == 0 && r.out.contains("audit chain OK: 1 tenant, \(count) records"), "\(r.out)\(r.err)")

    #expect(try runSentinel(["keygen", "--out", dir + "/audit"]).status == 0)
    r = try runSentinel([
      "audit", "export", "--db", db, "--out", dir + "/archive", "--key", dir + "/audit.key", "--segment-size",
      "10",
    ])
    #expect(r.status == 0, "\(r.err)")
    #expect(
      r.out.contains("exported \(count) records of 1 tenant in \((count + 9) / 10) segments"), "\(r.out)")
    let checkpointPath = dir + "/archive/checkpoint.json"
    let checkpoint = try AuditCheckpoint(json: try Repo.read(checkpointPath))
    #expect(checkpoint.tenants.map(\.seq) == [Int64(count)] && checkpoint.signature != nil)
    let firstSegment = try Repo.read(dir + "/archive/segment-000001.jsonl").split(separator: "\n")
    #expect(firstSegment.count == 10)
    if case .map(let line)? = try? JSONReader.parse(String(firstSegment[0])) {
      #expect(Self.int(line, "seq") == 1 && DaemonTests.string(line, "prev_hash") == AuditChain.genesis)
    } else {
      Issue.record("segment line is not a JSON object: \(firstSegment[0])")
    }
    // A second export into the same folder is refused.
    #expect(try runSentinel(["audit", "export", "--db", db, "--out", dir + "/archive"]).status == 1)

    let withCheckpoint = [
      "audit", "verify", "--db", db, "--checkpoint", checkpointPath, "--public-key", dir + "/audit.pub",
    ]
    r = try runSentinel(withCheckpoint)
    #expect(r.status == 0 && r.out.contains("matches the checkpoint at seq \(count)"), "\(r.out)\(r.err)")

    // A checkpoint signed by another key, or altered, is refused.
    #expect(try runSentinel(["keygen", "--out", dir + "/other"]).status == 0)
    r = try runSentinel([
      "audit", "verify", "--db", db, "--from-checkpoint", checkpointPath, "--public-key", dir + "/other.pub",
    ])
    #expect(r.status == 1 && r.err.contains("signature is not valid"), "\(r.err)")
    let altered = try Repo.read(checkpointPath).replacingOccurrences(
      of: "\"seq\":\(count)", with: "\"seq\":\(count - 1)")
    try Data(altered.utf8).write(to: URL(fileURLWithPath: dir + "/altered.json"))
    r = try runSentinel([
      "audit", "verify", "--db", db, "--checkpoint", dir + "/altered.json", "--public-key",
      dir + "/audit.pub",
    ])
    #expect(r.status == 1 && r.err.contains("signature is not valid"), "\(r.err)")

    // Tail truncation: invisible to the chain alone, caught against the checkpoint.
    try Self.sql(db, "DELETE FROM decision WHERE seq > \(count - 2)")
    r = try runSentinel(["audit", "verify", "--db", db])
    #expect(r.status == 0, "\(r.out)")
    r = try runSentinel(withCheckpoint)
    #expect(r.status == 1 && r.out.contains("the tail was truncated (2 records missing)"), "\(r.out)\(r.err)")

    // An edit in the middle: the first broken link, precisely.
    try Self.sql(db, "UPDATE decision SET action = 'allow', score = 0 WHERE seq = 5")
    r = try runSentinel(["audit", "verify", "--db", db])
    #expect(r.status == 1, "\(r.out)")
    #expect(r.out.contains("audit chain BROKEN: tenant `default`, seq 5, event `"), "\(r.out)")
    #expect(r.out.contains("score"), "\(r.out)")
    // Export refuses a broken chain.
    r = try runSentinel(["audit", "export", "--db", db, "--out", dir + "/archive2"])
    #expect(r.status == 1 && r.err.contains("refusing to export a broken audit chain"), "\(r.err)")

    // Bad input: precise errors, no crash.
    r = try runSentinel(["audit", "verify", "--db", dir + "/missing.db"])
    #expect(r.status == 1 && r.err.contains("no such state database"), "\(r.err)")
    try Data("{\"format\":1}".utf8).write(to: URL(fileURLWithPath: dir + "/bad.json"))
    r = try runSentinel(["audit", "verify", "--db", db, "--checkpoint", dir + "/bad.json"])
    #expect(r.status == 1 && r.err.contains("not an audit checkpoint"), "\(r.err)")
    r = try runSentinel(["audit", "prune", "--db", db])
    #expect(r.status != 0 && r.err.contains("--before TIME or --keep-days N"), "\(r.err)")
    r = try runSentinel(["audit", "prune", "--db", db, "--before", "yesterday"])
    #expect(r.status != 0 && r.err.contains("not an RFC 3339 time"), "\(r.err)")
  }

  @Test func pruneThroughTheCommandLineKeepsTheChainVerifiable() throws {
    let (dir, db) = try Self.replayedDatabase()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let count = try SQLiteStateStore(path: db, readOnly: true).decisionCount()
    var r = try runSentinel(["audit", "prune", "--db", db, "--keep-days", "1"])
    #expect(r.status == 0 && r.out.contains("nothing to prune"), "\(r.out)\(r.err)")
    r = try runSentinel(["audit", "export", "--db", db, "--out", dir + "/archive"])
    #expect(r.status == 0, "\(r.err)")
    r = try runSentinel(["audit", "prune", "--db", db, "--keep-days", "0"])
    #expect(r.status == 0 && r.out.contains("default: removed \(count) records"), "\(r.out)\(r.err)")
    r = try runSentinel(["audit", "verify", "--db", db, "--checkpoint", dir + "/archive/checkpoint.json"])
    #expect(r.status == 0 && r.out.contains("anchored at seq \(count) (\(count) pruned)"), "\(r.out)\(r.err)")
    // Replaying the corpus again: every event id is still known, nothing is decided twice.
    let again = try runSentinel([
      "replay", "--rules", Repo.rules, "--state", db, "--quiet", "-o", dir + "/again.jsonl",
      Repo.corpus + "/events.jsonl",
    ])
    #expect(again.status == 0, "\(again.err)")
    #expect(try Repo.read(dir + "/again.jsonl") == Repo.read(dir + "/decisions.jsonl"))
    #expect(try SQLiteStateStore(path: db, readOnly: true).decisionCount() == 0)
    // Tampering with the anchor after the prune is caught by the next record (after one more decision).
    let store = try SQLiteStateStore(path: db)
    try store.commit(
      StateBatch(decisions: [
        DecisionRecord(
          eventID: "late", line: #"{"event_id":"late","action":"allow","score":0,"rules":[]}"#,
          action: "allow", score: 0,
          rules: [], eventTime: Timestamp(seconds: 0), bundleDigest: "sha256:x")
      ]))
    try store.close()
    #expect(try runSentinel(["audit", "verify", "--db", db]).status == 0)
    try Self.sql(db, "UPDATE audit_anchor SET hash = '\(String(repeating: "0", count: 64))'")
    r = try runSentinel(["audit", "verify", "--db", db])
    #expect(r.status == 1 && r.out.contains("retention anchor's hash"), "\(r.out)")
  }
}
