// The real `sentinel consume` against a real redis-server on a free loopback port: end to end
// with the reference corpus, crash chaos (kill -9), Redis killed under load, a frozen consumer
// whose entries are claimed, two consumers splitting partitions.
//
// The invariant checked after each: every event id produced has exactly one decision in SQLite
// and exactly one on the output stream (in commit order), the pending lists are empty, nothing
// is left unpublished, and a clean `sentinel replay` of the events in commit order gives the same
// decision lines and the same aggregate states.
//
// Timing: every wait is on an observable condition (decisions on the stream, pending counts, a
// process's state, a log line) with a generous deadline — CI runs the whole suite in parallel on
// a loaded machine, where starting a debug `sentinel` alone can take tens of seconds. A deadline
// only matters when the test fails anyway. The few sleeps left are the chaos itself (when to
// kill), never a wait for something to have happened.

import Foundation
import SentinelModel
import SentinelState
import SentinelStreams
import SentinelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct StreamsProcessTests {
  static var corpus: [String] { (try? Repo.lines(Repo.corpus + "/events.jsonl")) ?? [] }

  /// The expected output of the corpus on a stream: the golden lines without errors, one per
  /// event id (a repeated id is acknowledged, not published again); and the golden errors.
  static func expectedFromGolden() throws -> (decisions: [String], errors: [String]) {
    let golden = try Repo.lines(Repo.corpus + "/decisions.jsonl")
    var seen = Set<String>()
    var decisions: [String] = []
    var errors: [String] = []
    for line in golden {
      guard case .map(let m)? = try? JSONReader.parse(line) else { continue }
      if case .string(let e)? = m[string: "error"] {
        errors.append(e)
        continue
      }
      if let id = eventID(line), seen.insert(id).inserted { decisions.append(line) }
    }
    return (decisions, errors)
  }

  @Test func referenceCorpusEndToEnd() throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let c = redis.connection()
    try c.produce(Self.corpus, stream: "events")
    let consumer = try ConsumerProcess(redis: redis, db: dir + "/state.db", log: dir + "/consume.log")
    let expected = try Self.expectedFromGolden()
    let done = try waitUntil(300) {
      try c.decisions().count >= expected.decisions.count && c.entries("dead").count >= expected.errors.count
        && c.pendingCount("events") == 0
    }
    #expect(done, "consumer did not finish: \(consumer.logText)")
    #expect(consumer.terminate() == 0)
    #expect(try c.decisions() == expected.decisions)
    // Dead letters: one per rejected line, in order, with the message `sentinel replay` gives
    // (the golden file's wording of JSON errors comes from another parser; its count is checked).
    let dead = try c.entries("dead")
    #expect(dead.count == expected.errors.count)
    #expect(dead.map { $0["error"] ?? "" } == (try Self.replayErrors(dir: dir)))
    #expect(dead.allSatisfy { $0["event"] != nil })
    #expect(try c.pendingCount("events") == 0)
    let store = try SQLiteStateStore(path: dir + "/state.db", readOnly: true)
    #expect(try store.decisions().map(\.record.line) == expected.decisions)
    #expect(try store.outboxCount(published: false) == 0)
    // The pipelined consumer computed each batch's audit links ahead: the chain verifies.
    let chain = try store.verifyAuditChain()
    #expect(chain.isIntact && chain.records == expected.decisions.count, "\(chain)")

    // A second run over the same stream and database publishes nothing new.
    try c.produce(Array(Self.corpus.prefix(100)), stream: "events")
    let again = try ConsumerProcess(redis: redis, db: dir + "/state.db", log: dir + "/consume.log")
    // Read (lag 0: every entry delivered) and acknowledged (nothing pending) — pending alone is
    // also 0 before the new consumer has read anything.
    #expect(
      try waitUntil(300) {
        try c.lag("events") == 0 && c.pendingCount("events") == 0
      }, "\(again.logTail)")
    #expect(again.terminate() == 0)
    #expect(try c.decisions() == expected.decisions)
  }

  /// The reference rules compiled once (a bundle starts faster than compiling in each process).
  static func compiledRules(_ dir: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments = ["compile", Repo.rules, "-o", dir + "/rules.sbc"]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    return dir + "/rules.sbc"
  }

  /// The error messages of `sentinel replay` (in memory) on the corpus, in order.
  static func replayErrors(dir: String) throws -> [String] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments = [
      "replay", "--rules", Repo.rules, "--quiet", Repo.corpus + "/events.jsonl", "-o", dir + "/replay.jsonl",
    ]
    try p.run()
    p.waitUntilExit()
    return try Repo.lines(dir + "/replay.jsonl").compactMap { line in
      guard case .map(let m)? = try? JSONReader.parse(line), case .string(let e)? = m[string: "error"] else {
        return nil
      }
      return e
    }
  }

  // MARK: - Chaos

  /// Events with deliberate duplicates: the corpus events the golden file decides (rejected
  /// ones are the end-to-end test's), each 10th one added twice.
  static func chaosEvents(_ count: Int) -> [String] {
    let golden = (try? Repo.lines(Repo.corpus + "/decisions.jsonl")) ?? []
    let valid = zip(corpus, golden).filter { !$0.1.contains("\"error\":") }.map(\.0)
    var out: [String] = []
    for (i, l) in valid.prefix(count).enumerated() {
      out.append(l)
      if i % 10 == 3 { out.append(l) }
    }
    return out
  }

  /// Kills the consumer with SIGKILL at random times and at injected points (mid-batch, after
  /// commit, after publish, after ack) while a producer adds events, then checks exactly once.
  @Test func crashChaos() throws {
    let rounds = Int(ProcessInfo.processInfo.environment["SENTINEL_CHAOS_ROUNDS"] ?? "") ?? 12
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(rounds >= 50 ? 2900 : 1500)
    let endpoint = redis.endpoint
    let producer = Thread {
      let c = RedisConnection(endpoint: endpoint)
      for chunk in stride(from: 0, to: events.count, by: 50) {
        try? c.produce(Array(events[chunk..<min(chunk + 50, events.count)]), stream: "events")
        usleep(20_000)
      }
    }
    producer.start()
    let bundle = try Self.compiledRules(dir)
    // The kills are the test's, not poison events: no entry may be dead-lettered for its
    // delivery count (each restart re-reads the pending entries and counts a delivery).
    let env = [
      "SENTINEL_STREAMS_CRASH":
        "after-commit:0.05,after-publish:0.05,after-ack:0.05,before-commit:0.03,decided-in-flight:0.03,"
        + "commit-in-flight:0.03,lose-publication:0.03"
    ]
    let log = dir + "/consume.log"
    func starts() -> Int {
      ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: " consuming").count
        - 1
    }
    for round in 0..<rounds {
      let p = try ConsumerProcess(
        redis: redis, db: db, rules: bundle,
        arguments: ["--batch", "64", "--consumer", "c1", "--max-deliveries", "1000"], environment: env,
        log: log)
      // Kill at a random moment once it consumes (unless it died at an injected point already).
      _ = try waitUntil(180) { starts() > round || !p.isRunning }
      usleep(UInt32.random(in: 0...300_000))
      p.kill9()
    }
    #expect(starts() == rounds, "every round got to consume before it was killed")
    let c = redis.connection()
    #expect(try waitUntil(300) { try c.entries("events").count == events.count })
    let last = try ConsumerProcess(
      redis: redis, db: db, arguments: ["--consumer", "c1", "--max-deliveries", "1000"],
      log: dir + "/consume.log")
    let ids = Set(events.compactMap(eventID))
    #expect(
      try waitUntil(300) { try c.decisions().count >= ids.count && c.pendingCount("events") == 0 },
      "\(last.logTail)")
    #expect(last.terminate() == 0)
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir)
  }

  /// The consumer kills itself (SIGKILL) at its first batch: after the commit (nothing
  /// published), after publication (not acknowledged, not marked) and after the acknowledgement
  /// (not marked: the mark would have ridden in the next commit). A batch is published from the
  /// rows its commit wrote, not read back; the restarted consumer reads the rows left unmarked
  /// from SQLite and publishes exactly those not yet in Redis, then carries on from memory.
  /// Sequential (`--no-pipeline`) and pipelined: there the first batch's commit is settled
  /// while the second batch is decided, and its publication runs with the second batch's
  /// commit in flight (which the kill may interrupt or not: up to two batches committed).
  @Test func aCrashBetweenCommitAndMarkPublishesEachRowOnce() throws {
    for pipelined in [false, true] {
      for point in ["after-commit", "after-publish", "after-ack"] {
        try crashAtFirstBatch(point, pipelined: pipelined)
      }
    }
  }

  /// Pipelined, killed with a commit in flight: after the second batch was decided while the
  /// first batch's commit ran (`decided-in-flight`: the first may be committed or not), and
  /// right after the next commit started (the batches decided meanwhile: group commit), before
  /// the first is published (`commit-in-flight`: the first is committed, the group may be or
  /// not). Nothing published is uncommitted,
  /// and the restarted consumer loses and duplicates nothing.
  @Test func aCrashWithACommitInFlightLosesAndDuplicatesNothing() throws {
    for point in ["decided-in-flight", "commit-in-flight"] {
      try crashAtFirstBatch(point, pipelined: true)
    }
  }

  /// Runs a consumer (batch 64) that kills itself at `point` with probability 1, checks what it
  /// left, restarts it (pipelined) and checks exactly once. Both runs are consumer `c1`: the
  /// restarted one reads the killed one's pending entries first, in stream order (a consumer
  /// of another name would claim them 30 s later and decide them after the later entries;
  /// `checkReplay` replays each event id's first produced line, and the corpus has an id
  /// produced twice with different bodies).
  func crashAtFirstBatch(_ point: String, pipelined: Bool) throws {
    let label = "\(point)\(pipelined ? "" : " (--no-pipeline)")"
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(300)
    // The decisions of the first batch, and of the first batch and the group committed after it
    // (up to 16 batches decided while the first one's commit ran; ids repeat within the corpus).
    let first = Set(events.prefix(64).compactMap(eventID)).count
    let firstAndGroup = Set(events.prefix(64 * 17).compactMap(eventID)).count
    let c = redis.connection()
    let bundle = try Self.compiledRules(dir)
    try c.produce(events, stream: "events")
    let crashing = try ConsumerProcess(
      redis: redis, db: db, rules: bundle,
      // Folding every 40 decisions: the crash may land in or between folds.
      arguments: ["--batch", "64", "--consumer", "c1", "--fold-every", "40"]
        + (pipelined ? [] : ["--no-pipeline"]),
      environment: ["SENTINEL_STREAMS_CRASH": "\(point):1"], log: dir + "/crash.log")
    try #require(try waitUntil(300) { !crashing.isRunning }, "\(label): \(crashing.logTail)")
    let store = try SQLiteStateStore(path: db, readOnly: true)
    let unmarked = try store.outboxCount(published: false)
    let committed = try store.decisions().map(\.record.line)
    #expect(try store.verifyAuditChain().isIntact, "\(label)")
    try store.close()
    #expect(committed.count == unmarked, "\(label): no committed row is marked")
    let published = try c.decisions()
    #expect(
      published == Array(committed.prefix(published.count)), "\(label): only committed rows are published")
    switch point {
    case "after-commit":
      #expect(unmarked == first && published.isEmpty, "\(label)")
    case "after-publish", "after-ack":
      #expect(published.count == first, "\(label)")
      #expect(
        pipelined ? (first...firstAndGroup).contains(unmarked) : unmarked == first, "\(label): \(unmarked)")
    case "decided-in-flight":
      #expect(unmarked == 0 || unmarked == first, "\(label): \(unmarked)")
      #expect(published.isEmpty, "\(label)")
    default:
      #expect((first...firstAndGroup).contains(unmarked), "\(label): \(unmarked)")
      #expect(published.isEmpty, "\(label)")
    }
    let restarted = try ConsumerProcess(
      redis: redis, db: db, rules: bundle,
      arguments: ["--batch", "64", "--consumer", "c1", "--fold-every", "40"],
      log: dir + "/consume.log")
    let ids = Set(events.compactMap(eventID))
    #expect(
      try waitUntil(300) { try c.decisions().count >= ids.count && c.pendingCount("events") == 0 },
      "\(label): \(restarted.logTail)")
    #expect(restarted.terminate() == 0, "\(label): \(restarted.logTail)")
    #expect(try SQLiteStateStore(path: db, readOnly: true).outboxCount(published: false) == 0, "\(label)")
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir + "/" + point)
  }

  /// Differential: the pipelined consumer and `--no-pipeline` on the same stream (each with its
  /// own Redis and database) commit the same decisions in the same order, with the same states,
  /// and publish the same output and dead-letter streams — unpartitioned and with two
  /// partitions (a batch's commits chained on the commit thread; the output stream then
  /// interleaves the partitions by commit, so each partition's decisions are compared). The events repeat ids within a
  /// batch, and 70 entries later (a duplicate of a decision whose commit is in flight), and hold
  /// malformed entries (dead letters). A third run is pipelined with each commit slowed by 40 ms
  /// (fault injection `slow-commit`): the batches decided meanwhile are committed together
  /// (group commit: fewer transactions than batches), with the same outcome.
  @Test func pipelinedAndSequentialConsumersAgree() throws {
    var events = Self.chaosEvents(1200)
    for i in stride(from: 1100, to: 100, by: -97) { events.insert(events[i - 70], at: i) }
    events.insert("{not json", at: 300)
    events.insert("{\"event_id\": 7}", at: 650)
    let ids = Set(events.compactMap(eventID))
    for partitions in [nil, 2] as [Int?] {
      let partitioning = partitions.map { Partitioning(stream: "events", count: $0) }
      let streams = partitions.map { n in (0..<n).map { "events:\($0)" } } ?? ["events"]
      let tenants = partitions.map { n in (0..<n).map { "default#\($0)" } } ?? ["default"]
      var outputs:
        [(
          decisions: [String], dead: [[String: String]], logged: [[String]],
          states: [[StateKey: AggregateState]]
        )] =
          []
      for (pipelined, slow) in [(true, false), (false, false), (true, true)] {
        let label =
          "\(pipelined ? "pipelined" : "--no-pipeline")\(slow ? ", slow commits" : ""), partitions \(partitions ?? 1)"
        let redis = try RedisServer()
        let dir = try Repo.temporaryFolder()
        let db = dir + "/state.db"
        let c = redis.connection()
        try c.produce(events, stream: "events", partitioning: partitioning)
        var arguments = ["--batch", "64"] + (pipelined ? [] : ["--no-pipeline"])
        if let partitions { arguments += ["--of", String(partitions)] }
        let consumer = try ConsumerProcess(
          redis: redis, db: db, rules: try Self.compiledRules(dir), arguments: arguments,
          environment: slow ? ["SENTINEL_STREAMS_CRASH": "slow-commit:0.04"] : [:], log: dir + "/consume.log")
        #expect(
          try waitUntil(300) {
            try c.decisions().count >= ids.count && c.entries("dead").count >= 2
              && streams.allSatisfy { try c.pendingCount($0) == 0 && c.lag($0) == 0 }
          }, "\(label): \(consumer.logTail)")
        #expect(consumer.terminate() == 0, "\(label): \(consumer.logTail)")
        // The final report gives the loop thread's CPU time, and the commit thread's (with its
        // time including the disk's waits) when there is one.
        let stopped = try Repo.lines(dir + "/consume.log").last { $0.contains("consumer stopped") } ?? ""
        func reported(_ key: String) -> Double? {
          let value = stopped.range(of: key + "=").map { stopped[$0.upperBound...] }?
            .drop { !$0.isNumber }.prefix { $0.isNumber || $0 == "." }
          return value.flatMap { Double($0) }
        }
        for key in ["cpu_loop_s", "cpu_commit_s", "commit_busy_s"] {
          let seconds = reported(key)
          if key == "cpu_loop_s" || pipelined {
            #expect(seconds.map { $0 > 0 && $0 < 600 } == true, "\(label): \(key) in \(stopped)")
          } else {
            #expect(seconds == nil, "\(label): \(key) in \(stopped)")
          }
        }
        // Without group commit each batch commits each partition's share in a transaction of its
        // own; with slow commits a transaction carries several batches.
        let batches = reported("batches") ?? 0
        let commits = reported("commits") ?? 0
        #expect(batches >= Double(ids.count / (64 * (partitions ?? 1))), "\(label): \(stopped)")
        if slow {
          #expect(commits > 0 && commits * 2 <= batches * Double(partitions ?? 1), "\(label): \(stopped)")
        }
        var logged: [[String]] = []
        var states: [[StateKey: AggregateState]] = []
        for t in tenants {
          let store = try SQLiteStateStore(path: db, tenant: t, readOnly: true)
          logged.append(try store.decisions().map(\.record.line))
          states.append(try store.allStates())
          #expect(try store.outboxCount(published: false) == 0, "\(label)")
          try store.close()
        }
        outputs.append((try c.decisions(), try c.entries("dead"), logged, states))
        if partitions == nil {
          try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir + "/check")
        }
      }
      let p = outputs[0]
      #expect(p.decisions.count == ids.count)
      for q in outputs.dropFirst() {
        #expect(p.decisions.count == q.decisions.count, "same number of decisions")
        if partitions == nil {
          #expect(p.decisions == q.decisions, "same output stream, same order")
        } else {
          // Partitions' rows interleave on the output stream by commit (timing decides which
          // batches a commit carries); each partition's decisions keep their order.
          for lines in p.logged {
            let mine = Set(lines.compactMap(eventID))
            let inP = p.decisions.filter { eventID($0).map(mine.contains) == true }
            let inQ = q.decisions.filter { eventID($0).map(mine.contains) == true }
            #expect(!inP.isEmpty && inP == inQ, "a partition's decisions in the same order")
          }
        }
        #expect(p.dead == q.dead && p.dead.count == 2, "same dead letters")
        #expect(p.logged == q.logged, "same committed decisions in the same order")
        #expect(p.states == q.states, "same states")
      }
    }
  }

  /// Redis is killed (SIGKILL) and restarted on the same port while the producer adds events;
  /// with appendfsync always, nothing acknowledged is lost and the consumer carries on.
  @Test func redisKilledUnderLoad() throws {
    let redis = try RedisServer(appendOnly: true)
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(1200)
    let consumer = try ConsumerProcess(
      redis: redis, db: db, arguments: ["--batch", "64"], log: dir + "/consume.log")
    // Redis must die while the consumer is connected (a slow start could miss both kills).
    #expect(try consumer.waitUntilConsuming())
    let c = redis.connection()
    var sent = 0
    for (round, chunk) in stride(from: 0, to: events.count, by: 100).enumerated() {
      let part = Array(events[chunk..<min(chunk + 100, events.count)])
      // A producer retries what a dead server did not acknowledge (a retry may add an entry
      // twice: the consumer deduplicates by event id).
      while (try? c.produce(part, stream: "events")) == nil { usleep(50_000) }
      sent += part.count
      if round == 3 || round == 8 {
        usleep(150_000)
        redis.kill9()
        usleep(300_000)
        try redis.start()
      }
    }
    let log = try Self.finish(consumer, c, produced: events)
    #expect(log.contains("reconnected to Redis"))
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir)
  }

  /// Publications lost on the way (test-only fault `lose-publication`: the connection breaks
  /// after a publication was sent without waiting for its reply, before Redis read it, its
  /// XACK not sent): the consumer reconnects, reads the rows back from SQLite and publishes
  /// them; every event ends with exactly one decision on the stream.
  ///
  /// NOTE: 1,200 events and a fault rate of 0.5, so that the fault fires in practically every
  /// run. Group commit takes up to 16 batches into one publication: 600 events in batches of 32
  /// once made only 8 publications (the failing run's stop line: commits=8), and at 0.3 a run
  /// then saw no fault with probability 0.7^8 ≈ 6 % (it happened once in CI). A run of n
  /// publications now sees none with probability 0.5^n: 0.4 % at 8, and twice the events give
  /// the consumer twice the batches to group.
  @Test func lostPublicationsArePublishedAgain() throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(1200)
    let c = redis.connection()
    try c.produce(events, stream: "events")
    let consumer = try ConsumerProcess(
      redis: redis, db: db, arguments: ["--batch", "32"],
      environment: ["SENTINEL_STREAMS_CRASH": "lose-publication:0.5"], log: dir + "/consume.log")
    let log = try Self.finish(consumer, c, produced: events)
    #expect(log.contains("test fault lose-publication"), "the fault never fired")
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir)
  }

  /// The publication script vanishes from Redis while the consumer runs (`SCRIPT FLUSH`, as an
  /// operator or a failover might): the pipelined consumer's publication, sent without waiting
  /// for its reply, is refused (NOSCRIPT) after its XACK went out; the rows are read back from
  /// SQLite and published again, so every event still has exactly one decision on the output
  /// stream, in commit order (`ConsumerLoop+Replies.swift`).
  @Test func scriptsFlushedWhileConsuming() throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(1200)
    let consumer = try ConsumerProcess(
      redis: redis, db: db, arguments: ["--batch", "32"], log: dir + "/consume.log")
    #expect(try consumer.waitUntilConsuming())
    let c = redis.connection()
    for chunk in stride(from: 0, to: events.count, by: 100) {
      try c.produce(Array(events[chunk..<min(chunk + 100, events.count)]), stream: "events")
      // Let the consumer publish some of it, then take its script away.
      let published = try c.decisions().count
      _ = try waitUntil(30) { try c.decisions().count > published }
      _ = try c.command(["SCRIPT", "FLUSH"])
    }
    _ = try Self.finish(consumer, c, produced: events)
    // The refusal did happen (else this test proves nothing).
    let errors = try c.command(["INFO", "errorstats"]).string ?? ""
    #expect(errors.contains("errorstat_NOSCRIPT"), "no NOSCRIPT refusal: \(errors)")
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir)
  }

  /// Consumer A freezes (SIGSTOP) after deciding a batch, before committing it; consumer B (same
  /// database) claims A's idle entries and decides them; when A resumes, its commit is fenced out
  /// and its batch redone as duplicates: nothing changes. A freezes only while its connection
  /// holds no SQLite lock (`ConsumerLoop.crashPoint`), so B's commits never wait on it.
  ///
  /// Each step waits for what the next one needs, observed: A stopped (`/proc`), holding no
  /// SQLite write lock and entries in Redis; B's decisions of every event; A's fenced commit.
  /// (It was flaky until A's freeze stopped its consumer thread synchronously: a process-directed
  /// SIGSTOP let that thread run on into its commit, and B waited on A's lock until it gave up
  /// and exited 1.)
  @Test func frozenConsumerLateCommitChangesNothing() throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Self.chaosEvents(300)
    let c = redis.connection()
    let bundle = try Self.compiledRules(dir)
    let a = try ConsumerProcess(
      redis: redis, db: db, rules: bundle, arguments: ["--consumer", "A", "--batch", "50"],
      environment: ["SENTINEL_STREAMS_CRASH": "freeze-before-commit:1"], log: dir + "/a.log")
    try c.produce(events, stream: "events")
    let frozen = try waitUntil(300) { a.isStopped }
    try #require(frozen, "consumer A did not freeze: \(a.logTail)")
    try #require(a.logText.contains("freezing"), "consumer A was stopped, but not by its freeze point")
    try #require(
      !a.holdsFileWriteLock, "consumer A froze holding a file write lock (SQLite's WAL write lock)")
    let held = try c.pendingCount("events", consumer: "A")
    try #require(held > 0, "consumer A froze without entries pending")
    // B claims entries idle for 300 ms (XAUTOCLAIM; it looks every 150 ms).
    let b = try ConsumerProcess(
      redis: redis, db: db, rules: bundle, arguments: ["--consumer", "B", "--claim-idle-ms", "300"],
      log: dir + "/b.log")
    let ids = Set(events.compactMap(eventID))
    let decided = try waitUntil(300) {
      try c.decisions().count >= ids.count && c.pendingCount("events") == 0 || !b.isRunning
    }
    let count = try c.decisions().count
    try #require(
      decided && b.isRunning && count >= ids.count,
      "consumer B decided \(count) of \(ids.count) events (\(held) were A's): \(b.logTail)")
    let before = try c.decisions()
    let store = try SQLiteStateStore(path: db, readOnly: true)
    let statesBefore = try store.allStates()
    a.signal(SIGCONT)
    #expect(
      try waitUntil(300) { a.logText.contains("another writer committed") || !a.isRunning },
      "\(a.logTail)")
    #expect(a.logText.contains("another writer committed"), "\(a.logTail)")
    // SIGTERM lets A finish the batch it redoes (duplicates: acknowledged, nothing published).
    #expect(a.terminate() == 0, "\(a.logTail)")
    #expect(b.terminate() == 0, "\(b.logTail)")
    #expect(try c.decisions() == before)
    #expect(try SQLiteStateStore(path: db, readOnly: true).allStates() == statesBefore)
    #expect(b.logText.contains("claimed idle entries"))
    try Self.checkExactlyOnce(c, db: db, tenant: "default", produced: events, dir: dir)
  }

  /// Two consumers split four partitions (0,1 and 2,3), each with its own database; every
  /// partition's decisions equal a clean replay of that partition's events.
  @Test func twoConsumersSplitPartitions() throws {
    let redis = try RedisServer()
    let dir = try Repo.temporaryFolder()
    let c = redis.connection()
    let partitioning = Partitioning(stream: "events", count: 4)
    let events = Self.chaosEvents(1500)
    try c.produce(events, stream: "events", partitioning: partitioning)
    let one = try ConsumerProcess(
      redis: redis, db: dir + "/p01.db",
      arguments: ["--of", "4", "--partitions", "0,1", "--consumer", "one"],
      log: dir + "/one.log")
    let two = try ConsumerProcess(
      redis: redis, db: dir + "/p23.db",
      arguments: ["--of", "4", "--partitions", "2,3", "--consumer", "two"],
      log: dir + "/two.log")
    let ids = Set(events.compactMap(eventID))
    #expect(
      try waitUntil(300) {
        try c.decisions().count >= ids.count && (0..<4).allSatisfy { try c.pendingCount("events:\($0)") == 0 }
      }, "\(one.logTail)\n\(two.logTail)")
    #expect(one.terminate() == 0)
    #expect(two.terminate() == 0)
    var all: [String] = []
    for p in 0..<4 {
      let mine = events.filter { partitioning.partition(ofEvent: Array($0.utf8)) == p }
      #expect(!mine.isEmpty)
      let db = dir + (p < 2 ? "/p01.db" : "/p23.db")
      all += try Self.checkReplay(db: db, tenant: "default#\(p)", produced: mine, dir: dir + "/replay-\(p)")
    }
    #expect(Set(all.compactMap(eventID)) == ids)
    #expect(all.count == ids.count)
    #expect(try c.decisions().sorted() == all.sorted())
  }

  // MARK: - Checks

  /// Exactly one decision per event id (SQLite and the output stream, same lines in the same
  /// order), nothing pending, nothing unpublished, and the state of a clean replay.
  /// Waits until every event id produced has a decision on the output stream and nothing is
  /// pending, stops the consumer (it must exit 0) and returns its log.
  static func finish(_ consumer: ConsumerProcess, _ c: RedisConnection, produced: [String]) throws -> String {
    let ids = Set(produced.compactMap(eventID))
    let finished = try waitUntil(300) {
      try c.decisions().count >= ids.count && c.pendingCount("events") == 0
    }
    #expect(finished, "\(consumer.logTail)")
    #expect(consumer.terminate() == 0)
    return try String(contentsOfFile: consumer.log, encoding: .utf8)
  }

  static func checkExactlyOnce(
    _ c: RedisConnection, db: String, tenant: String, produced: [String], dir: String
  ) throws {
    let ids = Set(produced.compactMap(eventID))
    let lines = try checkReplay(db: db, tenant: tenant, produced: produced, dir: dir + "/replay")
    #expect(lines.count == ids.count)
    #expect(Set(lines.compactMap(eventID)) == ids)
    let published = try c.decisions()
    #expect(published == lines, "the output stream holds each committed decision once, in commit order")
    #expect(try c.pendingCount("events") == 0)
  }

  /// Replays the produced events in the order the database committed them (`sentinel replay`,
  /// a fresh database) and compares decision lines and aggregate states; returns the lines.
  static func checkReplay(db: String, tenant: String, produced: [String], dir: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let store = try SQLiteStateStore(path: db, tenant: tenant, readOnly: true)
    let logged = try store.decisions()
    #expect(try store.outboxCount(published: false) == 0)
    var firstLine: [String: String] = [:]
    for l in produced { if let id = eventID(l), firstLine[id] == nil { firstLine[id] = l } }
    let ordered = logged.compactMap { firstLine[$0.record.eventID] }
    #expect(ordered.count == logged.count, "every decided event was produced")
    let input = dir + "/events.jsonl"
    try (ordered.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments = [
      "replay", "--rules", Repo.rules, "--state", dir + "/clean.db", "--tenant", tenant, "--quiet", input,
      "-o",
      dir + "/out.jsonl",
    ]
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let replayed = try Repo.lines(dir + "/out.jsonl")
    let lines = logged.map(\.record.line)
    #expect(replayed == lines, "decisions equal a clean replay in commit order")
    let clean = try SQLiteStateStore(path: dir + "/clean.db", tenant: tenant, readOnly: true)
    #expect(try clean.allStates() == store.allStates(), "state equals a clean replay")
    return lines
  }
}
