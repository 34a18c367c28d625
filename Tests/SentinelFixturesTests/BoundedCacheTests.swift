// The processor's state cache is bounded (`EventProcessor(cacheCapacity:)`): clean states are
// evicted and read back from the store. Differential: with a tiny capacity — far fewer keys than
// the corpus has, so states are evicted and reloaded all the time — the reference corpus gets
// exactly the output of an unbounded cache, in memory and on SQLite, and the golden decisions.

import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelTestSupport
import Testing

@Suite struct BoundedCacheTests {
  static func referenceBundle() throws -> LoadedBundle {
    let (c, ds) = RuleCompiler.compile(paths: [Repo.rules])
    let compilation = try #require(c, "\(ds.map(\.rendered))")
    return try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
  }

  /// Replays `lines`, committing every `batch` events; returns the output lines.
  static func replay(_ processor: EventProcessor, _ lines: [Substring], batch: Int) throws -> [String?] {
    var out: [String?] = []
    for line in lines {
      out.append(try processor.process(line).line)
      if processor.pendingCount >= batch { try processor.commit() }
    }
    try processor.commit()
    return out
  }

  @Test(arguments: [1, 5])
  func tinyCacheGivesTheSameDecisionsAsAnUnboundedOne(capacity: Int) throws {
    let bundle = try Self.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    let unbounded = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    let want = try Self.replay(unbounded, lines, batch: 100)
    #expect(unbounded.cacheStatistics.evictions == 0)

    let memory = EventProcessor(bundle: bundle, store: InMemoryStateStore(), cacheCapacity: capacity)
    let inMemory = try Self.replay(memory, lines, batch: 7)
    #expect(memory.cacheStatistics.evictions > 100, "the tiny cache must actually evict")
    #expect(memory.cacheStatistics.keys <= capacity, "a commit trims the cache to its capacity")

    let db = try Repo.temporaryFolder() + "/state.db"
    let sqlite = EventProcessor(
      bundle: bundle, store: try SQLiteStateStore(path: db), cacheCapacity: capacity)
    let onSQLite = try Self.replay(sqlite, lines, batch: 50)
    #expect(sqlite.cacheStatistics.evictions > 100)

    for (name, got) in [("memory", inMemory), ("SQLite", onSQLite)] {
      #expect(got.count == want.count)
      var differ = 0
      for (n, (a, b)) in zip(got, want).enumerated() where a != b {
        differ += 1
        if differ <= 3 {
          Issue.record("\(name), capacity \(capacity), line \(n + 1): \(a ?? "-") vs \(b ?? "-")")
        }
      }
      #expect(differ == 0, "\(name)")
    }
    // And the unbounded run is the golden one.
    let expected = try Repo.read(Repo.corpus + "/decisions.jsonl").split(separator: "\n")
    var mismatches = 0
    for (got, exp) in zip(want.compactMap { $0 }, expected)
    where try !OutputLine.parse(String(exp)).accepts(OutputLine.parse(got)) {
      mismatches += 1
    }
    #expect(mismatches == 0)
  }

  /// Write-back (`EventProcessor(writeBack:)`, `replay` in memory): commits write no states,
  /// evicted ones reach the store before it is read again. With a tiny cache — evicting and
  /// reloading all the time — and with the default one, the corpus gets the output of a
  /// processor whose commits write the states, and after `writeBackStates()` the store holds the
  /// same states and decisions.
  @Test(arguments: [1, 5, EventProcessor.defaultCacheCapacity])
  func writeBackGivesTheSameDecisionsAndStates(capacity: Int) throws {
    let bundle = try Self.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    let plainStore = InMemoryStateStore()
    let want = try Self.replay(EventProcessor(bundle: bundle, store: plainStore), lines, batch: 100)
    let store = InMemoryStateStore()
    let processor = EventProcessor(bundle: bundle, store: store, cacheCapacity: capacity, writeBack: true)
    let got = try Self.replay(processor, lines, batch: 7)
    #expect(got == want)
    if capacity < 10 {
      #expect(processor.cacheStatistics.evictions > 100, "the tiny cache must actually evict")
    } else {
      // Nothing evicted: the commits wrote no state.
      #expect(store.stateCount() == 0)
    }
    try processor.writeBackStates()
    #expect(try store.allStates() == plainStore.allStates())
    #expect(try store.decisions() == plainStore.decisions())
    // A processor reopened on the store written back continues the corpus exactly.
    let half = lines.count / 2
    let firstStore = InMemoryStateStore()
    let first = EventProcessor(bundle: bundle, store: firstStore, cacheCapacity: capacity, writeBack: true)
    let firstLines = try Self.replay(first, Array(lines[..<half]), batch: 7)
    try first.writeBackStates()
    let second = try Self.replay(
      EventProcessor(bundle: bundle, store: firstStore, cacheCapacity: capacity, writeBack: true),
      Array(lines[half...]), batch: 7)
    #expect(firstLines + second == want)
  }

  /// A processor reopened on a store whose states exceed its capacity does not preload them
  /// all, and still continues the corpus exactly.
  @Test func reopeningWithMoreStatesThanTheCapacity() throws {
    let bundle = try Self.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    let want = try Self.replay(EventProcessor(bundle: bundle, store: InMemoryStateStore()), lines, batch: 100)
    let store = InMemoryStateStore()
    let half = lines.count / 2
    let first = try Self.replay(
      EventProcessor(bundle: bundle, store: store), Array(lines[..<half]), batch: 100)
    #expect(store.stateCount() > 8)
    let second = try Self.replay(
      EventProcessor(bundle: bundle, store: store, cacheCapacity: 8), Array(lines[half...]), batch: 10)
    #expect(first + second == want)
  }
}
