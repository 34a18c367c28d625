// The daemon commits off its actor (`EventProcessor.takeCommit`, then `commitSucceeded` or
// `commitFailed` once the store returned) while later events are decided. Differential: a
// replay whose commits are in flight while the next batch is decided — with a tiny state cache
// (so eviction meets in-flight states), and with commits that fail and are retried — gives the
// output, the stored decisions and the stored states of a plain replay.

import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelTestSupport
import Testing

@Suite struct PipelinedCommitTests {
  /// A store that fails every `period`-th commit (before writing anything), else commits to
  /// `base`.
  final class FailingStore: StateStore {
    let base: SQLiteStateStore
    let period: Int
    var commits = 0
    var failures = 0
    var tenant: String { base.tenant }

    init(_ base: SQLiteStateStore, failingEvery period: Int) {
      self.base = base
      self.period = period
    }

    struct InjectedFailure: Error {}

    func loadState(_ key: StateKey) throws -> AggregateState? { try base.loadState(key) }
    func decisionLine(forEventID id: String) throws -> String? { try base.decisionLine(forEventID: id) }
    func commit(_ batch: StateBatch) throws {
      commits += 1
      if commits % period == 0 {
        failures += 1
        throw InjectedFailure()
      }
      try base.commit(batch)
    }
  }

  /// Replays `lines`: every `batch` decisions, the commit taken before is settled (committed to
  /// `store`, or failed) and the pending ones are taken — so each commit is in flight while the
  /// next batch is decided, as in the daemon.
  static func pipelinedReplay(
    _ processor: EventProcessor, _ store: any StateStore, _ lines: [Substring], batch: Int
  ) throws -> [String?] {
    var out: [String?] = []
    var taken: StateBatch?
    func settle() {
      guard let b = taken else { return }
      taken = nil
      do {
        try store.commit(b)
        processor.commitSucceeded()
      } catch {
        processor.commitFailed()
      }
    }
    for line in lines {
      out.append(try processor.process(line).line)
      if processor.pendingCount >= batch {
        settle()
        taken = processor.takeCommit()
        #expect(processor.hasCommitInFlight == (taken != nil))
      }
    }
    settle()
    // Whatever failed last is pending again: commit until everything is durable.
    while processor.pendingCount > 0 {
      taken = processor.takeCommit()
      settle()
    }
    #expect(!processor.hasCommitInFlight)
    return out
  }

  static func decisions(_ store: SQLiteStateStore) throws -> [String: String] {
    var out: [String: String] = [:]
    for d in try store.decisions() { out[d.record.eventID] = d.record.line }
    return out
  }

  @Test(arguments: [(1, 0), (5, 0), (1_000_000, 0), (1, 3), (1_000_000, 2)])
  func inFlightCommitsGiveThePlainReplay(capacity: Int, failEvery: Int) throws {
    let bundle = try BoundedCacheTests.referenceBundle()
    let lines = try Repo.read(Repo.corpus + "/events.jsonl").split(separator: "\n")
    let folder = try Repo.temporaryFolder()

    let plainStore = try SQLiteStateStore(path: folder + "/plain.db")
    let want = try BoundedCacheTests.replay(
      EventProcessor(bundle: bundle, store: plainStore), lines, batch: 40)

    let sqlite = try SQLiteStateStore(path: folder + "/pipelined.db")
    let store: any StateStore = failEvery > 0 ? FailingStore(sqlite, failingEvery: failEvery) : sqlite
    let processor = EventProcessor(bundle: bundle, store: store, cacheCapacity: capacity)
    let got = try Self.pipelinedReplay(processor, store, lines, batch: 40)

    #expect(got.count == want.count)
    var differ = 0
    for (n, (a, b)) in zip(got, want).enumerated() where a != b {
      differ += 1
      if differ <= 3 { Issue.record("line \(n + 1): \(a ?? "-") vs \(b ?? "-")") }
    }
    #expect(differ == 0)
    if capacity < 10 { #expect(processor.cacheStatistics.evictions > 100, "the tiny cache must evict") }
    if let failing = store as? FailingStore { #expect(failing.failures > 3, "failures must be injected") }
    // The same decisions and the same states are durable.
    #expect(try Self.decisions(sqlite) == Self.decisions(plainStore))
    #expect(try sqlite.allStates() == plainStore.allStates())
    #expect(try sqlite.verifyAuditChain().firstBreak == nil)
  }
}
