// A kill -9 during a SQLite replay loses no committed decision, and running the same command
// again finishes the corpus without counting anything twice: the resumed output equals the
// golden decisions line for line. Runs the real `sentinel` executable (built next to the test
// binary by `swift test`) as a child process.

import Foundation
import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite(.serialized) struct ReplayCrashTests {
  static func run(
    _ args: [String], environment: [String: String] = [:], stderr: String? = nil,
    killWhen: (() -> Bool)? = nil
  ) throws -> (status: Int32, killed: Bool) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
    p.arguments = args
    if !environment.isEmpty {
      p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let stderr {
      guard FileManager.default.createFile(atPath: stderr, contents: nil) else {
        throw TestFailure("cannot create \(stderr)")
      }
      p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
    } else {
      p.standardError = FileHandle.nullDevice
    }
    try p.run()
    var killed = false
    if let killWhen {
      let deadline = Date().addingTimeInterval(120)
      while p.isRunning && Date() < deadline {
        if killWhen() {
          kill(p.processIdentifier, SIGKILL)
          killed = true
          break
        }
        usleep(2_000)
      }
    }
    p.waitUntilExit()
    return (p.terminationStatus, killed)
  }

  /// What `sentinel test` accepts: decisions equal as JSON, errors with the same event id.
  static func same(_ got: String, _ want: String) throws -> Bool {
    try OutputLine.parse(want).accepts(OutputLine.parse(got))
  }

  /// The number of `lines` that are not their golden line (`same`); the first three are
  /// recorded as issues, named by `what`.
  static func mismatches(_ lines: [String], _ expected: [String], _ what: String) throws -> Int {
    var n = 0
    for (got, want) in zip(lines, expected) where try !same(got, want) {
      n += 1
      if n <= 3 { Issue.record("\(what): \(got)\n expected \(want)") }
    }
    return n
  }

  /// In memory a decision's line is written from the decision and its record renders the line
  /// only for a duplicate (`EventProcessor.rendersLines` off): the output is the golden output,
  /// duplicates included (small batches: they are found pending, committed and in the store),
  /// with and without the pipeline, byte for byte what a SQLite replay (lines made as decided)
  /// writes.
  @Test func inMemoryLinesAreTheGoldenLines() throws {
    let dir = try Repo.temporaryFolder()
    let events = Repo.corpus + "/events.jsonl"
    let expected = try Repo.read(Repo.corpus + "/decisions.jsonl").split(separator: "\n").map(String.init)
    var outputs: [String] = []
    for (n, extra) in [["--batch", "7"], ["--batch", "7", "--no-pipeline"], ["--state", dir + "/s.db"]]
      .enumerated()
    {
      let out = dir + "/out\(n).jsonl"
      let r = try Self.run(["replay", "--rules", Repo.rules, events, "-o", out] + extra)
      #expect(r.status == 0, "\(extra)")
      outputs.append(try Repo.read(out))
    }
    #expect(outputs[0] == outputs[2] && outputs[1] == outputs[2])
    let lines = outputs[0].split(separator: "\n").map(String.init)
    #expect(lines.count == expected.count)
    #expect(try Self.mismatches(lines, expected, "in-memory replay") == 0)
    // The corpus has duplicates (their lines repeat): the lazily rendered lines are exercised.
    let decided = expected.filter { !$0.contains("\"error\":") }
    #expect(Set(decided).count < decided.count)
  }

  /// Also folding every 40 decisions (`--fold-every`), so that the kill may land in or between
  /// folds and the rerun reads a tail and a log back.
  @Test(arguments: [SQLiteStateStore.defaultFoldEvery, 40])
  func killNineThenRerunLosesNothingAndCountsNothingTwice(foldEvery: Int) throws {
    let fold = ["--fold-every", String(foldEvery)]
    let dir = try Repo.temporaryFolder()
    let db = dir + "/state.db"
    let events = Repo.corpus + "/events.jsonl"
    let expected = try Repo.read(Repo.corpus + "/decisions.jsonl").split(separator: "\n").map(String.init)
    var expectedByID: [String: String] = [:]
    for line in expected where !line.contains("\"error\":") {
      if case .map(let m) = try JSONReader.parse(line), case .string(let id)? = m[string: "event_id"] {
        expectedByID[id] = line
      }
    }

    // 1. Replay with small batches; kill -9 once a few hundred decisions are committed.
    let first = try Self.run(
      ["replay", "--rules", Repo.rules, "--state", db, "--batch", "25", events, "-o", dir + "/first.jsonl"]
        + fold,
      killWhen: {
        guard FileManager.default.fileExists(atPath: db),
          let store = try? SQLiteStateStore(path: db, readOnly: true),
          let n = try? store.decisionCount()
        else { return false }
        return n >= 300
      })
    #expect(first.killed, "the replay finished before it could be killed (status \(first.status))")

    // 2. What the killed run committed is whole and right: every recorded decision is the
    //    golden decision for its event.
    let store = try SQLiteStateStore(path: db, readOnly: true)
    let committed = try store.decisionCount()
    #expect(committed >= 300 && committed < expectedByID.count)
    var checked = 0
    try store.forEachDecision(after: 0) { d in
      #expect(d.record.line == expectedByID[d.record.eventID], "event \(d.record.eventID)")
      checked += 1
      return true
    }
    #expect(checked == committed)
    // The killed run wrote no line ahead of its commit: every decision line in its output is a
    // committed decision (its batch commits run on a second thread while the next is decided).
    var written = 0
    for line in try Repo.read(dir + "/first.jsonl").split(separator: "\n") where !line.contains("\"error\":")
    {
      guard case .map(let m) = try? JSONReader.parse(String(line)),
        case .string(let id)? = m[string: "event_id"]
      else { continue }  // the last line may be cut short by the kill
      #expect(try store.decisionLine(forEventID: id) == String(line), "written before its commit: \(id)")
      written += 1
    }
    #expect(written <= committed)
    try store.close()

    // 3. The same command again: it finishes, and its output is the golden output, line for line
    //    (events decided before the kill come back as their original lines and change nothing).
    let second = try Self.run(
      ["replay", "--rules", Repo.rules, "--state", db, "--batch", "25", events, "-o", dir + "/second.jsonl"]
        + fold)
    #expect(second.status == 0)
    let output = try Repo.read(dir + "/second.jsonl").split(separator: "\n").map(String.init)
    #expect(output.count == expected.count)
    #expect(try Self.mismatches(output, expected, "resumed replay") == 0)
    let after = try SQLiteStateStore(path: db, readOnly: true)
    #expect(try after.decisionCount() == expectedByID.count)
  }

  /// The pipelined replay (each batch committed on a second thread while the next is decided)
  /// and the sequential one (`--no-pipeline`) write the same output and store the same decisions,
  /// in the same order, and the same states — with small batches and a cache of 5 keys, so that
  /// evicted states are read back from the store while a commit is in flight. The fourth run
  /// holds each commit back 30 ms (`SENTINEL_REPLAY_SLOW_COMMIT`, a slow disk): the batches
  /// decided meanwhile join the next transaction (group commit), with the same outcome.
  @Test func pipelinedAndSequentialReplaysAgree() throws {
    let dir = try Repo.temporaryFolder()
    let events = Repo.corpus + "/events.jsonl"
    var outputs: [String] = []
    var decisions: [[String]] = []
    var states: [[StateKey: AggregateState]] = []
    // The third run folds every 10 decisions: evicted states come back from the log and the
    // folded table alike.
    for (n, mode) in ["--pipeline", "--no-pipeline", "--pipeline", "--pipeline"].enumerated() {
      let db = dir + "/state\(n).db"
      let out = dir + "/out\(n).jsonl"
      let fold = n == 2 ? ["--fold-every", "10"] : []
      let slow = n == 3
      let r = try Self.run(
        [
          "replay", "--rules", Repo.rules, "--state", db, "--batch", "7", "--cache-keys", "5", mode, events,
          "-o", out,
        ] + fold, environment: slow ? ["SENTINEL_REPLAY_SLOW_COMMIT": "0.03"] : [:],
        stderr: dir + "/err\(n).txt")
      #expect(r.status == 0, "\(mode)")
      // The summary counts the transactions: one per 7 decisions without group commit.
      let summary = try Repo.read(dir + "/err\(n).txt")
      let decided = summary.firstMatch(of: /decided (\d+),/).flatMap { Int($0.1) } ?? 0
      let commits = summary.firstMatch(of: /committed in (\d+) transactions/).flatMap { Int($0.1) } ?? 0
      #expect(decided > 100 && commits > 0, "\(summary)")
      if mode == "--no-pipeline" { #expect(commits == (decided + 6) / 7, "\(summary)") }
      if slow { #expect(commits * 3 <= decided / 7, "group commit: \(summary)") }
      outputs.append(try Repo.read(out))
      let store = try SQLiteStateStore(path: db, readOnly: true)
      var lines: [String] = []
      try store.forEachDecision(after: 0) { d in
        lines.append("\(d.sequence) \(d.record.line)")
        return true
      }
      decisions.append(lines)
      states.append(try store.allStates())
      // The pipelined runs' audit links were computed ahead, on the deciding thread.
      let chain = try store.verifyAuditChain()
      #expect(chain.isIntact && chain.records == lines.count, "\(chain)")
      try store.close()
    }
    #expect(!outputs[0].isEmpty && outputs.allSatisfy { $0 == outputs[0] })
    #expect(decisions[0].count > 100 && decisions.allSatisfy { $0 == decisions[0] })
    #expect(!states[0].isEmpty && states.allSatisfy { $0 == states[0] })
  }

  /// In memory, the pipelined replay (lines decoded on a thread of their own, batches of 256
  /// ahead) and `--no-pipeline` write the same output, also with blank and malformed lines
  /// around the batches' edges and a repeated event id — and so do both with a cache of 3 keys,
  /// whose evicted states are written back to the in-memory store and read again
  /// (`EventProcessor(writeBack:)`).
  @Test func pipelinedAndSequentialReplaysAgreeInMemory() throws {
    let dir = try Repo.temporaryFolder()
    var lines = try Repo.read(Repo.corpus + "/events.jsonl").split(
      separator: "\n", omittingEmptySubsequences: false
    )
    .map(String.init)
    for i in stride(from: 255, to: lines.count, by: 256) { lines[i] = "" }
    for i in stride(from: 256, to: lines.count, by: 300) { lines[i] = "{not json" }
    lines.append(lines[1])
    let events = dir + "/events.jsonl"
    try Repo.write(lines.joined(separator: "\n"), to: events)
    var outputs: [String] = []
    // The pipeline with the aggregates' keys, filters and values computed ahead (the default)
    // and without, and no pipeline; then a tiny cache.
    let modes = [
      ["--pipeline"], ["--no-state-ahead"], ["--no-pipeline"], ["--cache-keys", "3"],
      ["--no-pipeline", "--cache-keys", "3"],
    ]
    for mode in modes {
      let out = dir + "/out\(mode.joined()).jsonl"
      let r = try Self.run(["replay", "--rules", Repo.rules] + mode + [events, "-o", out])
      #expect(r.status == 0, "\(mode)")
      outputs.append(try Repo.read(out))
    }
    let written = outputs[0].split(separator: "\n")
    #expect(written.count > 1000 && outputs.allSatisfy { $0 == outputs[0] })
    #expect(written.filter { $0.contains("invalid JSON") }.count >= 3)
    #expect(written.last == written[1], "the repeated event id gets its original line")
  }

  /// The summary on standard error counts the lines and gives each thread's CPU time: the
  /// deciding one always, the decoding one with the pipeline, the linking and committing ones
  /// (the latter with its waits for the disk) with the pipeline and `--state`. With the pipeline,
  /// the deciding and decoding threads' figures say how much of them was spent spinning for the
  /// other thread: a part of the figure.
  @Test func theSummaryGivesEachThreadsCPUTime() throws {
    let dir = try Repo.temporaryFolder()
    let events = Repo.corpus + "/events.jsonl"
    let inputLines = try Repo.lines(events).count
    for (args, threads) in [
      (["--state", dir + "/a.db"], ["deciding", "decoding", "linking", "committing"]),
      ([], ["deciding", "decoding"]),
      (["--no-pipeline", "--state", dir + "/b.db"], ["deciding"]),
    ] {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: try Repo.requireSentinel())
      p.arguments = ["replay", "--rules", Repo.rules] + args + [events, "-o", dir + "/out.jsonl"]
      let err = Pipe()
      p.standardError = err
      try p.run()
      let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0, "\(args): \(text)")
      let lines = text.split(separator: "\n").map(String.init)
      #expect(lines.first?.hasPrefix("replayed \(inputLines) lines in ") == true, "\(text)")
      let cpuLine = try #require(lines.first { $0.hasPrefix("  CPU by thread: ") }, "\(text)")
      let named = cpuLine.dropFirst("  CPU by thread: ".count).split(separator: ", ").map {
        String($0.split(separator: " ")[0])
      }
      #expect(named == threads, "\(args): \(cpuLine)")
      for part in cpuLine.dropFirst("  CPU by thread: ".count).split(separator: ", ") {
        let words = part.split(separator: " ")
        let seconds = Double(words[1]) ?? -1
        #expect(seconds > 0 && seconds < 600, "\(args): \(part)")
        let pipelined = !args.contains("--no-pipeline") && (words[0] == "deciding" || words[0] == "decoding")
        #expect(part.contains("(spinning ") == pipelined, "\(args): \(part)")
        if pipelined {
          let spinning = words.count > 4 ? Double(words[4]) ?? -1 : -1
          #expect(spinning >= 0 && spinning <= seconds, "\(args): \(part)")
        }
      }
      // The deciding and decoding threads' heap allocations per line (the binary interposes
      // malloc): each is above 0 on this corpus (decision records; the strings of long ids).
      let allocationLine = try #require(
        lines.first { $0.hasPrefix("  heap allocations per line: ") }, "\(text)")
      let perLine = allocationLine.dropFirst("  heap allocations per line: ".count).split(separator: ", ")
      #expect(
        perLine.map { String($0.split(separator: " ")[0]) }
          == threads.filter { $0 == "deciding" || $0 == "decoding" })
      for part in perLine {
        let n = Double(part.split(separator: " ")[1]) ?? -1
        #expect(n > 0 && n < 1000, "\(args): \(part)")
      }
      let counts = try #require(lines.first { $0.hasPrefix("  decided ") }, "\(text)")
      let numbers = counts.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
      #expect(numbers.count == 3 && numbers.reduce(0, +) == inputLines, "\(counts)")
    }
  }

  /// Replay is deterministic across stores: in memory and on SQLite (committing every 100
  /// events, and reopening the database halfway) give the same output, line for line.
  @Test func memoryAndSQLiteGiveTheSameOutput() throws {
    let (c, ds) = RuleCompiler.compile(paths: [Repo.rules])
    let compilation = try #require(c, "\(ds.map(\.rendered))")
    let bundle = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    let memory = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    let db = try Repo.temporaryFolder() + "/state.db"
    var sqlite = EventProcessor(bundle: bundle, store: try SQLiteStateStore(path: db))
    var differ = 0
    for (n, line) in lines.enumerated() {
      if n == lines.count / 2 {
        try sqlite.commit()
        sqlite = EventProcessor(bundle: bundle, store: try SQLiteStateStore(path: db))
      }
      let a = try memory.process(line).line
      let b = try sqlite.process(line).line
      if n % 100 == 99 { try sqlite.commit() }
      if a != b {
        differ += 1
        if differ <= 3 { Issue.record("line \(n + 1): memory \(a ?? "-") vs SQLite \(b ?? "-")") }
      }
    }
    try sqlite.commit()
    #expect(differ == 0)
  }
}
