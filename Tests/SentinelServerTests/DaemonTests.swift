// The daemon as a real process over loopback: golden decisions over HTTP (state and
// idempotency), concurrency with group commit, the read and error routes, graceful shutdown.

import Foundation
import SentinelModel
import SentinelState
import SentinelTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

@Suite(.serialized) struct DaemonTests {
  static let event =
    #"{"event_id":"ID","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u-42","amount":9500,"#
    + #""country_code":"GB","card_country":"KP","merchant_category":"6051"}"#

  static func event(_ id: String) -> String { event.replacingOccurrences(of: "\"ID\"", with: "\"\(id)\"") }

  static func string(_ m: MapValue?, _ key: String) -> String? {
    if case .string(let s)? = m?[string: key] { return s }
    return nil
  }

  /// The stored decision count once the daemon has stopped.
  static func storedDecisions(_ db: String) throws -> Int {
    try SQLiteStateStore(path: db, readOnly: true).decisionCount()
  }

  @Test func referenceCorpusOverHTTPGivesTheGoldenDecisions() async throws {
    let daemon = try Daemon(extraArguments: ["--commit-delay-ms", "0"])
    let events = try Repo.read(Repo.corpus + "/events.jsonl").split(
      separator: "\n", omittingEmptySubsequences: false)
    let expected = try Repo.read(Repo.corpus + "/decisions.jsonl").split(separator: "\n").map(String.init)
    var n = 0
    // Event ids answered with a decision (the corpus repeats some: those are duplicates).
    var decided: Set<String> = []
    for event in events where !event.allSatisfy(\.isWhitespace) {
      let want = try #require(n < expected.count ? expected[n] : nil, "more events than golden lines")
      n += 1
      let answer = try await daemon.post("/v1/decisions", String(event))
      guard case .map(let w) = try JSONReader.parse(want) else {
        Issue.record("bad golden line \(want)")
        continue
      }
      let got = try #require(answer.map, "line \(n): body is not a JSON object: \(answer.body)")
      if w[string: "error"] != nil {
        #expect(answer.status == 400, "line \(n): \(answer.body)")
        #expect(got[string: "error"] != nil, "line \(n): \(answer.body)")
        #expect(got[string: "event_id"]?.description == w[string: "event_id"]?.description, "line \(n)")
        continue
      }
      #expect(answer.status == 200, "line \(n): \(answer.body)")
      for key in ["event_id", "action", "score", "rules"] {
        #expect(
          got[string: key]?.description == w[string: key]?.description, "line \(n) `\(key)`: \(answer.body)")
      }
      #expect(Self.string(got, "decision_id")?.hasPrefix("dec_") == true)
      #expect(Self.string(got, "bundle_digest")?.isEmpty == false)
      if let id = Self.string(got, "event_id") { decided.insert(id) }
    }
    #expect(n == expected.count)
    #expect(daemon.terminate() == 0)
    #expect(try Self.storedDecisions(daemon.db) == decided.count)
  }

  @Test func concurrentRequestsAllGetAnswersAndEachDecisionIsStoredOnce() async throws {
    let daemon = try Daemon()
    let ids = (0..<200).map { "c-\($0)" }
    // Each id is posted twice, by different tasks: 8 tasks, 400 requests.
    let statuses = try await withThrowingTaskGroup(of: [(String, Int, String?)].self) { group in
      for t in 0..<8 {
        group.addTask {
          var out: [(String, Int, String?)] = []
          for (i, id) in ids.enumerated() where i % 4 == t % 4 {
            let a = try await daemon.post("/v1/decisions", Self.event(id))
            out.append((id, a.status, Self.string(a.map, "action")))
          }
          return out
        }
      }
      var all: [(String, Int, String?)] = []
      for try await part in group { all += part }
      return all
    }
    #expect(statuses.count == 400)
    #expect(statuses.allSatisfy { $0.1 == 200 })
    var actions: [String: Set<String>] = [:]
    for (id, _, action) in statuses { actions[id, default: []].insert(action ?? "none") }
    #expect(actions.values.allSatisfy { $0.count == 1 }, "a duplicate got another decision")
    #expect(daemon.terminate() == 0)
    // Group commit: concurrent requests share commits (fewer commits than decisions).
    let counts = try #require(try daemon.commitCounts(), "no shutdown log line")
    #expect(counts.decisions == ids.count)
    #expect(counts.commits < counts.decisions, "\(counts)")
    print("concurrency: \(counts.decisions) decisions in \(counts.commits) commits")
    #expect(try Self.storedDecisions(daemon.db) == ids.count)
  }

  @Test func readRoutesAndErrorStatuses() async throws {
    let daemon = try Daemon()
    #expect(try await daemon.get("/healthz").status == 200)
    let ready = try await daemon.get("/readyz")
    #expect(ready.status == 200, "\(ready.body)")

    let first = try await daemon.post("/v1/decisions", Self.event("g-1"))
    #expect(first.status == 200)
    let reasons = first.map?[string: "reasons"]
    if case .list(let list)? = reasons {
      #expect(!list.isEmpty)
    } else {
      Issue.record("no reasons: \(first.body)")
    }
    let again = try await daemon.post("/v1/decisions", Self.event("g-1"))
    #expect(again.status == 200)
    #expect(Self.string(again.map, "decision_id") == Self.string(first.map, "decision_id"))

    let stored = try await daemon.get("/v1/decisions/g-1")
    #expect(stored.status == 200)
    #expect(Self.string(stored.map, "action") == Self.string(first.map, "action"))
    let noRoute = try await daemon.get("/v2/nothing")
    #expect(noRoute.status == 404)
    #expect(noRoute.map?[string: "error"] != nil, "\(noRoute.body)")
    let missing = try await daemon.get("/v1/decisions/nope")
    #expect(missing.status == 404)
    #expect(missing.map?[string: "error"] != nil)

    let malformed = try await daemon.post("/v1/decisions", #"{"event_id":"m-1","type":"#)
    #expect(malformed.status == 400)
    #expect(malformed.map?[string: "error"] != nil, "\(malformed.body)")
    let missingField = try await daemon.post("/v1/decisions", #"{"event_id":"m-2","type":"transaction"}"#)
    #expect(missingField.status == 400)
    #expect(Self.string(missingField.map, "event_id") == "m-2")
    #expect(
      Self.string(missingField.map, "error")?.contains("'") == true, "names the field: \(missingField.body)")
    let empty = try await daemon.post("/v1/decisions", "  ")
    #expect(empty.status == 400)

    let big = "{\"event_id\":\"big\",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"
    let tooLarge = try await daemon.post("/v1/decisions", big)
    #expect(tooLarge.status == 413)
    #expect(tooLarge.map?[string: "error"] != nil, "\(tooLarge.body)")

    let array = "[" + Self.event("b-1") + ", {\"event_id\":\"b-2\"}, " + Self.event("g-1") + "]"
    let batch = try await daemon.post("/v1/decisions/batch", array)
    #expect(batch.status == 200, "\(batch.body)")
    guard case .list(let items)? = try? JSONReader.parse(batch.body) else {
      Issue.record("batch answer is not an array: \(batch.body)")
      return
    }
    #expect(items.count == 3)
    if items.count == 3 {
      guard case .map(let a) = items[0], case .map(let b) = items[1], case .map(let c) = items[2] else {
        Issue.record("batch items are not objects")
        return
      }
      #expect(a[string: "action"] != nil)
      #expect(b[string: "error"] != nil)
      #expect(Self.string(c, "decision_id") == Self.string(first.map, "decision_id"))
    }
    let ndjson = Self.event("n-1") + "\n\n" + Self.event("n-2") + "\n"
    let lines = try await daemon.post("/v1/decisions/batch", ndjson, contentType: "application/x-ndjson")
    if case .list(let l)? = try? JSONReader.parse(lines.body) {
      #expect(l.count == 2)
    } else {
      Issue.record("NDJSON batch: \(lines.body)")
    }
    let badBatch = try await daemon.post("/v1/decisions/batch", "[" + Self.event("x-1"))
    #expect(badBatch.status == 400)
    #expect(daemon.terminate() == 0)
    // g-1, b-1, n-1, n-2.
    #expect(try Self.storedDecisions(daemon.db) == 4)
  }

  @Test func aPageCacheBelowOneMiBIsRefusedAtStart() throws {
    let db = try Repo.temporaryFolder() + "/state.db"
    let r = try runSentinel(["serve", "--db-cache-mib", "0", "--db", db, "--listen", "127.0.0.1:0"])
    #expect(r.status == 64, "a usage error: \(r.err)")
    #expect(r.err.contains("--db-cache-mib must be at least 1"), "\(r.err)")
    #expect(!FileManager.default.fileExists(atPath: db), "refused before opening the database")
  }

  @Test func aPageSizeThatIsNotAPowerOfTwoIsRefusedAtStart() throws {
    for bad in ["1000", "256", "131072"] {
      let db = try Repo.temporaryFolder() + "/state.db"
      let r = try runSentinel(["serve", "--db-page-size", bad, "--db", db, "--listen", "127.0.0.1:0"])
      #expect(r.status == 64, "a usage error: \(r.err)")
      #expect(r.err.contains("--db-page-size must be a power of two from 512 to 65536"), "\(r.err)")
      #expect(!FileManager.default.fileExists(atPath: db), "refused before opening the database")
    }
  }

  /// A database the daemon creates gets `--db-page-size` (2048 unless told); one that exists
  /// keeps its own, and its decisions.
  @Test func theDaemonCreatesItsDatabaseWithItsPageSize() async throws {
    var reused: String?
    for (arguments, want) in [([String](), "2048"), (["--db-page-size", "1024"], "1024")] {
      let daemon = try Daemon(extraArguments: arguments)
      #expect(try await daemon.post("/v1/decisions", Self.event("page-\(want)")).status == 200)
      #expect(daemon.terminate() == 0)
      let store = try SQLiteStateStore(path: daemon.db, readOnly: true)
      #expect(try store.pragma("page_size") == want)
      #expect(try store.decisionCount() == 1)
      try store.close()
      reused = reused ?? daemon.db
    }
    let again = try Daemon(extraArguments: ["--db-page-size", "4096"], db: reused)
    #expect(try await again.post("/v1/decisions", Self.event("page-again")).status == 200)
    #expect(again.terminate() == 0)
    let store = try SQLiteStateStore(path: try #require(reused), readOnly: true)
    #expect(try store.pragma("page_size") == "2048")
    #expect(try store.decisionCount() == 2)
    try store.close()
  }

  /// With `--db-fold-every 3` the daemon folds its event-id index every few decisions: every
  /// decision is still found by id, a duplicate gets the original's answer, and the file holds
  /// every event id in `event_index` after a restart's fold.
  @Test func aDaemonFoldingEveryFewDecisionsFindsEveryOne() async throws {
    let daemon = try Daemon(extraArguments: ["--db-fold-every", "3"])
    var first: [String: String] = [:]
    for i in 0..<10 {
      let r = try await daemon.post("/v1/decisions", Self.event("fold-\(i)"))
      #expect(r.status == 200)
      first["fold-\(i)"] = Self.string(r.map, "action")
    }
    for i in [0, 4, 9] {
      let again = try await daemon.post("/v1/decisions", Self.event("fold-\(i)"))
      #expect(again.status == 200)
      #expect(
        Self.string(again.map, "action") == first["fold-\(i)"], "a duplicate gets the original decision")
    }
    #expect(daemon.terminate() == 0)
    let store = try SQLiteStateStore(path: daemon.db)
    #expect(try store.decisionCount() == 10)
    #expect(try store.foldBacklog().decisions < 3, "folded as it went")
    try store.foldNow()
    #expect(try store.allEventIDs() == Set((0..<10).map { "fold-\($0)" }))
    try store.close()
    let r = try runSentinel(["serve", "--db-fold-every", "0", "--db", daemon.db, "--listen", "127.0.0.1:0"])
    #expect(r.status == 64 && r.err.contains("--db-fold-every must be at least 1"), "\(r.err)")
  }

  /// With `--event-loops 1` the daemon reads and writes every connection on one NIO thread of
  /// its own group: concurrent clients are all answered, the process has exactly one event-loop
  /// thread (NIO names them `NIO-ELT-…`; its shared group's are `NIO-SGLTN-…`), and SIGTERM
  /// still exits 0 with every answered decision stored.
  @Test func oneEventLoopServesConcurrentClients() async throws {
    let daemon = try Daemon(extraArguments: ["--event-loops", "1"])
    let answered = try await withThrowingTaskGroup(of: Int.self) { group in
      for t in 0..<8 {
        group.addTask {
          var ok = 0
          for i in 0..<25 {
            let r = try await daemon.post("/v1/decisions", Self.event("loop-\(t)-\(i)"))
            if r.status == 200 { ok += 1 }
          }
          return ok
        }
      }
      var all = 0
      for try await n in group { all += n }
      return all
    }
    #expect(answered == 200)
    let names = try Self.threadNames(daemon)
    #expect(names.filter { $0.hasPrefix("NIO-ELT") }.count == 1, "\(names.sorted())")
    #expect(!names.contains { $0.hasPrefix("NIO-SGLTN") }, "\(names.sorted())")
    #expect(daemon.terminate() == 0)
    let store = try SQLiteStateStore(path: daemon.db)
    #expect(try store.decisionCount() == 200)
    try store.close()
    let r = try runSentinel(["serve", "--event-loops", "0", "--db", daemon.db, "--listen", "127.0.0.1:0"])
    #expect(r.status == 64 && r.err.contains("--event-loops must be from 1 to 256"), "\(r.err)")
  }

  /// Without `--event-loops` the connections run on NIO's shared group (one loop per core), not
  /// on a group of the daemon's own.
  @Test func theDefaultIsNIOsSharedGroup() async throws {
    let daemon = try Daemon()
    #expect(try await daemon.post("/v1/decisions", Self.event("loops-default")).status == 200)
    let names = try Self.threadNames(daemon)
    #expect(names.contains { $0.hasPrefix("NIO-SGLTN") }, "\(names.sorted())")
    #expect(!names.contains { $0.hasPrefix("NIO-ELT") }, "\(names.sorted())")
    #expect(daemon.terminate() == 0)
  }

  /// The names of the daemon's threads (`/proc/PID/task/*/comm`).
  static func threadNames(_ daemon: Daemon) throws -> [String] {
    let pid = daemon.process.processIdentifier
    return try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap {
      try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8)
    }
  }

  @Test func sigtermExitsZeroAndKeepsEveryAnsweredDecision() async throws {
    let daemon = try Daemon(extraArguments: ["--commit-delay-ms", "5"])
    let answered = try await withThrowingTaskGroup(of: [String].self) { group in
      for t in 0..<8 {
        group.addTask {
          var ok: [String] = []
          for i in 0..<1000 {
            let id = "s-\(t)-\(i)"
            guard let a = try? await daemon.post("/v1/decisions", Self.event(id), timeout: 10) else { break }
            if a.status == 200 { ok.append(id) } else { break }
          }
          return ok
        }
      }
      group.addTask {
        try await Task.sleep(for: .milliseconds(400))
        let start = ContinuousClock.now
        #expect(daemon.terminate() == 0)
        print("shutdown: exited \(ContinuousClock.now - start) after SIGTERM")
        return []
      }
      var all: [String] = []
      for try await part in group { all += part }
      return all
    }
    #expect(!answered.isEmpty)
    let store = try SQLiteStateStore(path: daemon.db, readOnly: true)
    for id in answered {
      #expect(try store.decisionLine(forEventID: id) != nil, "answered \(id) but not stored")
    }
  }
}
