// The pipelined batch (the default): batch N+1 is read and decided while batch N's SQLite
// transaction and its fsync run on a commit thread, one commit in flight at a time.
//
//   process(N+1):  decide N+1 ─► settle N (wait for its commit) ─► start N+1's commit
//                  ─► publish N's rows ─► XACK N's entries          (N+1's commit runs meanwhile)
//   settle (the machine asks before a read that would block, and before stopping):
//                  settle N ─► publish N's rows ─► XACK N's entries
//
// For each batch the order of `StreamConsumer.swift` holds — committed, then published (from
// the rows its commit wrote), then acknowledged — so a crash at any point leaves what a
// sequential consumer could leave: entries not acknowledged are read again (decided again when
// their commit did not happen, duplicates when it did), committed rows not published are
// published at start, the watermark in Redis makes a re-publication a no-op. The decisions of
// batch N+1 are made on the states batch N left in the processor's cache (`takeCommit`), and the
// fence of N+1's commit expects N's decisions: when N's commit is refused (another writer: the
// fence, a busy database) every partition is reloaded, N is decided and committed again at once
// (`commitPartition`, with its retries), and N+1 is decided again from the reloaded state.
//
// NOTE: the loop thread and the commit thread share a partition's SQLite connection (a GRDB
// `DatabaseQueue`: one at a time). Deciding reads from it only for an event id or a state the
// processor does not hold (`EventProcessor.loadIndex`), so the two rarely wait on each other.

import Foundation
import SentinelRuntime
import SentinelState
import Synchronization

/// One partition's entries of a batch.
struct PartitionEntries {
  let worker: PartitionWorker
  var events: [StreamEntry]
  var dead: [DeadLetter]
}

/// What deciding a partition's share of a batch gave (added to the metrics once committed).
struct BatchCounts {
  var decided = 0
  var duplicates = 0
  var rejected = 0
}

/// One partition's commit of a batch in flight.
struct PartitionCommit {
  /// The partition, its entries (decided again when the commit is refused) and their counts.
  let entries: PartitionEntries
  let counts: BatchCounts
  /// What the commit thread writes: the processor's batch with the outbox rows, the fence, the
  /// published mark and the unpublished check (`FencedStore.prepare`).
  let batch: StateBatch
}

/// A batch whose commits were started on the commit thread and not yet settled.
struct InFlightBatch {
  /// Its partitions' commits, in the order they run (empty: nothing to write, e.g. duplicates).
  let commits: [PartitionCommit]
  /// Its partitions without a commit (their counts only).
  let uncommitted: BatchCounts
  /// Its entries to acknowledge once committed and published.
  let acknowledgements: [String: [String]]
}

/// Batches decided while a commit was in flight and not yet committed: the next transaction
/// carries them all (group commit). Per partition, its entries in stream order and their counts.
struct DecidedGroup {
  var parts: [PartitionEntries] = []
  var counts: [BatchCounts] = []
  var acknowledgements: [String: [String]] = [:]
  /// Entries decided (events and dead letters) and batches in the group.
  var entries = 0
  var batches = 0

  var isEmpty: Bool { batches == 0 }

  /// Adds a decided batch: its partitions' entries and counts, its entries to acknowledge.
  mutating func add(
    _ batchParts: [PartitionEntries], _ batchCounts: [BatchCounts], acknowledgements a: [String: [String]]
  ) {
    batches += 1
    for (p, c) in zip(batchParts, batchCounts) {
      entries += p.events.count + p.dead.count
      if let i = parts.firstIndex(where: { $0.worker === p.worker }) {
        parts[i].events += p.events
        parts[i].dead += p.dead
        counts[i].decided += c.decided
        counts[i].duplicates += c.duplicates
        counts[i].rejected += c.rejected
      } else {
        // Partitions commit in the order of their streams' names, as a single batch's do.
        let i = parts.firstIndex { $0.worker.stream > p.worker.stream } ?? parts.count
        parts.insert(p, at: i)
        counts.insert(c, at: i)
      }
    }
    for (stream, ids) in a { acknowledgements[stream, default: []] += ids }
  }
}

extension ConsumerLoop {
  /// Decides `batch`. While the commit in flight runs, the batch joins the decided group and
  /// waits (the machine reads on without BLOCK); once that commit returned, or the group holds
  /// `groupLimit` entries, the group's commit starts (`commitGroup`). Leaves a commit in flight.
  ///
  /// Group commit: when the disk is slower than deciding, the batches decided while one commit
  /// runs ride in the next (one transaction, one fsync), and the loop waits for the disk only
  /// once 16 batches wait (docs/performance.md, "Group commit in the stream consumer and in
  /// replay": fewer transactions, 7–15 % less CPU on the commit thread).
  func processPipelined(_ batch: ConsumerBatch) throws {
    let parts = partitions(of: batch)
    let counts = try parts.map { try decide($0.worker, events: $0.events, dead: $0.dead) }
    group.add(parts, counts, acknowledgements: batch.acknowledgements)
    consumer.metricsBox.withLock { $0.batches += 1 }
    if let committer, inFlight != nil, !committer.isDone, group.entries < groupLimit { return }
    try commitGroup(publishing: true)
  }

  /// Settles the commit in flight, starts the decided group's commit and (`publishing`)
  /// publishes and acknowledges the settled batch. Leaves the group's commit in flight.
  func commitGroup(publishing: Bool) throws {
    let g = group
    group = DecidedGroup()
    let parts = g.parts
    var counts = g.counts
    // Each partition's audit links for the group, computed here while the batch in flight
    // commits, from where that batch's links end (SQLiteStateStore+Prelink.swift).
    var links: [PrelinkedChain?] = parts.map { p in
      guard committer != nil, let tip = p.worker.chainTip, p.worker.processor.pendingCount > 0 else {
        return nil
      }
      return try? p.worker.store.prelink(p.worker.processor.pendingDecisions, after: tip)
    }
    var settled: [String: [String]]?
    if inFlight != nil {
      crashPoint("decided-in-flight")
      let outcome = try settle()
      if outcome?.kept == false {
        // The workers were reloaded: the group's decisions went with their caches.
        counts = try parts.map { try decide($0.worker, events: $0.events, dead: $0.dead) }
        links = parts.map { _ in nil }
      }
      settled = outcome?.acknowledgements
      crashPoint("after-commit")
    }
    crashPoint("before-commit")
    var commits: [PartitionCommit] = []
    var uncommitted = BatchCounts()
    var mark = unmarkedThrough
    for (i, (p, c)) in zip(parts, counts).enumerated() {
      let w = p.worker
      let taken = w.processor.takeCommit()
      if taken == nil && w.fenced.outbox.isEmpty {
        uncommitted.decided += c.decided
        uncommitted.duplicates += c.duplicates
        uncommitted.rejected += c.rejected
        continue
      }
      // Every commit after the first checks from the previous one's rows (`ConsumerCommitThread`).
      let checkAfter = heldIsComplete ? (held.lastID ?? publishedThrough) : nil
      var b = w.fenced.prepare(taken ?? StateBatch(), mark: mark, checkAfter: checkAfter, takingOutbox: true)
      if committer != nil, !b.decisions.isEmpty {
        // Nothing is in flight now: a partition without a tip reads it (links computed now).
        if links[i] == nil, w.chainTip == nil, let tip = try? w.store.chainTip() {
          links[i] = try? w.store.prelink(b.decisions, after: tip)
        }
        b.prelinked = links[i]
        w.chainTip = links[i]?.end
      }
      // The mark rides in the first commit only (every partition's store is the same file).
      mark = nil
      commits.append(PartitionCommit(entries: p, counts: c, batch: b))
    }
    if let committer, !commits.isEmpty {
      committer.start(commits.map { ($0.entries.worker.store, $0.batch) })
    }
    inFlight = InFlightBatch(commits: commits, uncommitted: uncommitted, acknowledgements: g.acknowledgements)
    if publishing, let settled {
      // The previous batch committed, not published; this one's commit may be running.
      crashPoint("commit-in-flight")
      try publishAndAcknowledge(settled)
    }
  }

  /// Settles what is in hand without writing to Redis (on a Redis failure, and when the loop
  /// ends): the commit in flight, then the decided group's commit. Their rows are held for
  /// publication; their entries, still pending in Redis, are read again and acknowledged as
  /// duplicates.
  func settleAll() throws {
    if !group.isEmpty { try commitGroup(publishing: false) }
    _ = try settle()
  }

  /// Commits the decided group, settles the commit in flight, then publishes its rows and
  /// acknowledges its entries (the machine's `settle`).
  func finishInFlight() throws {
    if !group.isEmpty { try commitGroup(publishing: true) }
    guard let outcome = try settle() else { return }
    crashPoint("after-commit")
    try publishAndAcknowledge(outcome.acknowledgements)
  }

  /// Waits for the commit in flight, if any, and settles it: each partition commit that
  /// returned is told to its processor and fence, and its outbox rows are held for publication.
  /// When one was refused by another writer (fence, busy database), every partition is reloaded
  /// and the refused commits' entries are decided and committed again now; `kept` is then false:
  /// decisions made since the batch was taken are gone with the reload. Returns the batch's
  /// entries to acknowledge once its rows are published; nil when nothing was in flight.
  func settle() throws -> (acknowledgements: [String: [String]], kept: Bool)? {
    guard let f = inFlight else { return nil }
    inFlight = nil
    let t0 = clock.now
    let outcome = f.commits.isEmpty ? ConsumerCommitThread.Outcome() : (committer?.wait() ?? .init())
    commitWaitTime += clock.now - t0
    for (c, report) in zip(f.commits, outcome.reports) {
      let w = c.entries.worker
      w.processor.commitSucceeded()
      w.fenced.committed(c.batch)
      if let m = c.batch.markOutboxPublishedThrough, unmarkedThrough == m { unmarkedThrough = nil }
      if !c.batch.outbox.isEmpty { hold(c.batch.outbox, report) }
      count(c.counts)
    }
    if f.uncommitted.decided + f.uncommitted.duplicates + f.uncommitted.rejected > 0 {
      consumer.metricsBox.withLock { m in
        m.decided += f.uncommitted.decided
        m.duplicates += f.uncommitted.duplicates
        m.rejected += f.uncommitted.rejected
      }
    }
    guard let error = outcome.error else { return (f.acknowledgements, true) }
    try prepareRetry(after: error, attempts: 1)
    for w in workers.values { try w.reload() }
    // The rows of the commits that returned are read back with the others.
    held.removeAll()
    heldIsComplete = false
    for c in f.commits.dropFirst(outcome.reports.count) {
      try commitPartition(c.entries.worker, events: c.entries.events, dead: c.entries.dead, attempts: 1)
    }
    return (f.acknowledgements, false)
  }
}

/// Runs one batch's partition commits at a time, in order, on a thread of its own: the
/// consumer's loop decides the next batch meanwhile and settles the commit with `wait` before it
/// starts another (the audit chain links decisions in commit order; the fence expects them).
final class ConsumerCommitThread: Sendable {
  /// What a batch's commits gave: the report of each that returned, in order, and the error of
  /// the one that failed (the ones after it were not tried).
  struct Outcome {
    var reports: [OutboxWrite] = []
    var error: (any Error)?
  }

  private let queue = DispatchQueue(label: "sentinel.streams.commit", qos: .userInitiated)
  private let done = DispatchSemaphore(value: 0)
  private let outcome = Mutex<Outcome?>(nil)
  /// Test-only: seconds each batch's commits are held back (the `slow-commit` fault, a slow disk).
  private let delay: Double

  init(delay: Double = 0) { self.delay = delay }
  /// The commits' CPU time on the commit thread so far, and their time including the waits for
  /// the disk (the consumer's final report).
  let time = WorkTime()

  /// Starts committing `jobs` in order (none may be in flight). A commit that asks whether its
  /// rows follow every unpublished row asks it from the previous commit's last row, when that
  /// one's rows followed (the caller cannot know their ids when it starts them).
  func start(_ jobs: [(SQLiteStateStore, StateBatch)]) {
    queue.async { [self] in
      if delay > 0 { Thread.sleep(forTimeInterval: delay) }
      // Measured before the signal: whoever waited reads a total that includes these commits.
      let result = time.measure { commitAll(jobs) }
      outcome.withLock { $0 = result }
      done.signal()
    }
  }

  /// Commits `jobs` in order on the commit thread, until one fails.
  private func commitAll(_ jobs: [(SQLiteStateStore, StateBatch)]) -> Outcome {
    var result = Outcome()
    var checkAfter = jobs.first?.1.outboxUnpublishedCheckAfter
    for (store, batch) in jobs {
      var b = batch
      if b.outboxUnpublishedCheckAfter != nil { b.outboxUnpublishedCheckAfter = checkAfter }
      do {
        let report = try store.commitReportingOutbox(b)
        if let ids = report.ids { checkAfter = report.followsUnpublished ? ids.upperBound : nil }
        result.reports.append(report)
      } catch {
        result.error = error
        break
      }
    }
    return result
  }

  /// Whether the commits started last returned (`wait` would not wait).
  var isDone: Bool { outcome.withLock { $0 != nil } }

  /// Waits until the commits started last returned.
  func wait() -> Outcome {
    done.wait()
    return outcome.withLock { o in
      defer { o = nil }
      return o ?? Outcome()
    }
  }
}
