// The stream consumer's logic as a pure state machine: it is told what happened (groups created,
// entries read, delivery counts, a batch processed, a failure, a stop request) and answers the
// next action; `StreamConsumer` performs the actions (Redis, SQLite, the decision engine).
//
//   start ─► createGroups ─► publishOutbox ─► read own pending (id 0, per stream, until empty)
//                                                  │
//        ┌──────────── read new (`>`) ◄────────────┘
//        │   entries ─► [fetchDeliveries for redelivered ones] ─► process(batch) ─► read …
//        │   every claimInterval: claim (XAUTOCLAIM idle entries of dead consumers, per stream)
//        └── failure: connection → reconnect (backoff) → createGroups → publishOutbox → pending
//                     NOGROUP    → createGroups (from id 0) → pending
//   stop requested: the batch in hand is finished (processed: committed, published, acked), then stop.
//
// Pipelined (the default; `sentinel consume --no-pipeline` turns it off): a processed batch may
// leave its commit in flight on the service's commit thread (`processed(now:commitInFlight:)`);
// the next batch is read and decided meanwhile. The machine then asks for `settle` (wait for
// the commit, publish its rows, acknowledge its entries) before anything that must not run
// ahead of it: a read that would block (the stream is drained: it reads without BLOCK first,
// and settles when that finds nothing), and the stop. A failure drops the commit in flight
// from the machine's view: the service settles it before reporting the failure.
//
// Classification (the machine's, before the engine sees an entry): an entry trimmed while
// pending (nil payload) is acknowledged and counted; an entry without an `event` field, or
// delivered more than `maxDeliveries` times, is a dead letter. Events the engine rejects are
// dead-lettered by the service (they need decoding).

/// One entry of an input stream.
public struct StreamEntry: Sendable, Equatable {
  /// What the entry holds.
  public enum Payload: Sendable, Equatable {
    /// The `event` field's bytes.
    case event([UInt8])
    /// The entry has no `event` field; the raw fields as text (`field=value …`).
    case missingEvent(String)
    /// The entry was trimmed or deleted while pending (XREADGROUP answers nil fields).
    case trimmed
  }

  /// The stream it was read from.
  public var stream: String
  /// Its entry id (`1700000000000-0`).
  public var id: String
  /// Its payload.
  public var payload: Payload
  /// How many times it has been delivered (1 for a first delivery).
  public var deliveries: Int

  /// An entry.
  public init(stream: String, id: String, payload: Payload, deliveries: Int = 1) {
    self.stream = stream
    self.id = id
    self.payload = payload
    self.deliveries = deliveries
  }
}

/// A dead letter: the entry and why it is dead.
public struct DeadLetter: Sendable, Equatable {
  /// The entry.
  public var entry: StreamEntry
  /// The reason (the `error` field).
  public var reason: String

  /// A dead letter.
  public init(entry: StreamEntry, reason: String) {
    self.entry = entry
    self.reason = reason
  }
}

/// What one `process` action covers: every entry in it is acknowledged once the batch is
/// committed and published.
public struct ConsumerBatch: Sendable, Equatable {
  /// Entries to decide, in stream order per stream.
  public var events: [StreamEntry] = []
  /// Entries to dead-letter without deciding.
  public var deadLetters: [DeadLetter] = []
  /// Entries trimmed while pending: acknowledged, nothing else.
  public var trimmed: [StreamEntry] = []

  /// A batch.
  public init(events: [StreamEntry] = [], deadLetters: [DeadLetter] = [], trimmed: [StreamEntry] = []) {
    self.events = events
    self.deadLetters = deadLetters
    self.trimmed = trimmed
  }

  /// Every entry to acknowledge, by stream (ids in batch order).
  public var acknowledgements: [String: [String]] {
    // Runs of one stream are gathered before they go in the dictionary (one hash per run, not
    // per entry: a batch is nearly always one stream).
    var out: [String: [String]] = [:]
    var stream: String?
    var run: [String] = []
    func add(_ s: String, _ id: String) {
      if s != stream {
        if let stream, !run.isEmpty { out[stream, default: []] += run }
        stream = s
        run.removeAll(keepingCapacity: true)
      }
      run.append(id)
    }
    for e in events { add(e.stream, e.id) }
    for d in deadLetters { add(d.entry.stream, d.entry.id) }
    for t in trimmed { add(t.stream, t.id) }
    if let stream, !run.isEmpty { out[stream, default: []] += run }
    return out
  }

  /// Whether the batch holds no entry.
  public var isEmpty: Bool { events.isEmpty && deadLetters.isEmpty && trimmed.isEmpty }
}

/// How the consumer reads.
public struct ConsumerSettings: Sendable, Equatable {
  /// The input streams this consumer owns (one per owned partition).
  public var streams: [String]
  /// Entries per read per stream (the batch bound).
  public var batchSize: Int
  /// XREADGROUP's BLOCK.
  public var block: Duration
  /// An entry delivered more times than this is dead-lettered.
  public var maxDeliveries: Int
  /// Entries pending this long with another consumer are claimed (XAUTOCLAIM min-idle-time).
  public var claimIdle: Duration
  /// How often to look for entries to claim.
  public var claimInterval: Duration

  /// Settings; the defaults are those of `sentinel consume`.
  public init(
    streams: [String], batchSize: Int = 512, block: Duration = .milliseconds(500), maxDeliveries: Int = 5,
    claimIdle: Duration = .seconds(30), claimInterval: Duration = .seconds(5)
  ) {
    self.streams = streams
    self.batchSize = batchSize
    self.block = block
    self.maxDeliveries = maxDeliveries
    self.claimIdle = claimIdle
    self.claimInterval = claimInterval
  }
}

/// Counters the machine keeps (the service adds its own; `ConsumerMetrics`).
public struct ConsumerCounts: Sendable, Equatable {
  /// Entries read (XREADGROUP and XAUTOCLAIM).
  public var read = 0
  /// Entries delivered more than once (own pending after a restart, claimed).
  public var redeliveries = 0
  /// Entries dead-lettered by the machine (no `event` field, too many deliveries).
  public var deadLetters = 0
  /// Entries trimmed while pending (acknowledged, not decided).
  public var trimmed = 0
  /// Entries claimed from other consumers.
  public var claimed = 0
  /// Reconnections after a connection failure.
  public var reconnects = 0
  /// Consumer groups created again after NOGROUP.
  public var groupsRecreated = 0
}

/// The consumer's decisions: what to do next, given what happened. Pure; no I/O, no clock.
public struct ConsumerStateMachine: Sendable {
  /// The next thing the service must do.
  public enum Action: Sendable, Equatable {
    /// `XGROUP CREATE stream group 0 MKSTREAM` for each stream (an existing group is fine).
    case createGroups([String])
    /// Write the store's unpublished outbox rows to Redis, then mark them published.
    case publishOutbox
    /// `XREADGROUP … COUNT count [BLOCK block] STREAMS s… id…` (id `0`-based for own pending
    /// entries after that id, `>` for new ones); BLOCK only when every id is `>`.
    case read(streams: [String], ids: [String], count: Int, block: Duration?)
    /// `XPENDING stream group first last count consumer`: the delivery counts of these entries.
    case fetchDeliveries(stream: String, ids: [String])
    /// `XAUTOCLAIM stream group consumer minIdle cursor COUNT count`.
    case claim(stream: String, cursor: String, minIdle: Duration, count: Int)
    /// Decide, commit (with the outbox), publish, acknowledge, mark published.
    case process(ConsumerBatch)
    /// Wait for the commit in flight, then publish its outbox rows and acknowledge its entries.
    case settle
    /// Wait, then connect again (then groups are created again: Redis may have lost them).
    case reconnect(after: Duration)
    /// Stop: nothing is in hand.
    case stop
  }

  /// A failure the service reports.
  public enum Failure: Sendable, Equatable {
    /// The connection failed (or the server is unreachable).
    case connection
    /// The consumer group (or the stream) is gone: NOGROUP.
    case noGroup(stream: String)
  }

  /// The settings.
  public let settings: ConsumerSettings
  /// The counters.
  public private(set) var counts = ConsumerCounts()
  /// Per stream: `>` once its own pending entries are read, else the id to read pending after.
  var cursors: [String: String]
  /// Entries read that wait for their delivery counts, and the streams still to ask about.
  var awaiting: [StreamEntry] = []
  var awaitingStreams: [String] = []
  /// The claim round: streams left, and the cursor in the current one.
  var claimQueue: [String] = []
  var claimCursor = "0-0"
  var lastClaim: Duration?
  var stopping = false
  var failuresInARow = 0
  /// Whether the last processed batch's commit is still running (pipelined service).
  var commitInFlight = false

  /// A machine for `settings`.
  public init(settings: ConsumerSettings) {
    self.settings = settings
    cursors = Dictionary(uniqueKeysWithValues: settings.streams.map { ($0, "0") })
  }

  /// Whether a stop was requested.
  public var isStopping: Bool { stopping }

  // MARK: - Events

  /// The first action.
  public mutating func start() -> Action { .createGroups(settings.streams) }

  /// Groups exist: re-publish what an earlier run committed but did not publish.
  public mutating func groupsCreated() -> Action { .publishOutbox }

  /// The outbox is published: read (own pending entries first).
  public mutating func outboxPublished(now: Duration) -> Action {
    failuresInARow = 0
    return next(now: now)
  }

  /// Whether a processed batch's commit is still in flight (until `settled`).
  public var isCommitInFlight: Bool { commitInFlight }

  /// A read answered `entries` (of any of the streams read).
  public mutating func entriesRead(_ entries: [StreamEntry], readStreams: [String], now: Duration) -> Action {
    failuresInARow = 0
    // A read without BLOCK because a commit was in flight found nothing: settle, then block.
    if entries.isEmpty && commitInFlight { return .settle }
    counts.read += entries.count
    var pendingRead: [StreamEntry] = []
    var fresh: [StreamEntry] = []
    for s in readStreams where cursors[s] != ">" {
      // Own pending entries of this stream: the last one read is the next cursor; none left → new.
      let mine = entries.filter { $0.stream == s }
      cursors[s] = mine.last?.id ?? ">"
      pendingRead += mine
    }
    for e in entries where !pendingRead.contains(where: { $0.stream == e.stream && $0.id == e.id }) {
      fresh.append(e)
    }
    if pendingRead.isEmpty {
      let batch = classify(fresh)
      return batch.isEmpty ? next(now: now) : .process(batch)
    }
    // Pending entries were delivered before: their counts decide whether they are dead.
    awaiting = fresh + pendingRead
    awaitingStreams = orderedStreams(pendingRead)
    return .fetchDeliveries(
      stream: awaitingStreams[0], ids: pendingRead.filter { $0.stream == awaitingStreams[0] }.map(\.id))
  }

  /// XAUTOCLAIM answered: `entries` now belong to this consumer, `nextCursor` continues the scan
  /// (`0-0`: done), `deleted` ids were pending but no longer exist (trimmed).
  public mutating func claimed(
    _ entries: [StreamEntry], deleted: [String], stream: String, nextCursor: String, now: Duration
  ) -> Action {
    failuresInARow = 0
    counts.read += entries.count
    counts.claimed += entries.count
    claimCursor = nextCursor
    if nextCursor == "0-0" || (entries.isEmpty && deleted.isEmpty) {
      claimQueue.removeFirst()
      claimCursor = "0-0"
    }
    let trimmed = deleted.map { StreamEntry(stream: stream, id: $0, payload: .trimmed) }
    if entries.isEmpty {
      if trimmed.isEmpty { return next(now: now) }
      counts.trimmed += trimmed.count
      return .process(ConsumerBatch(trimmed: trimmed))
    }
    awaiting = entries + trimmed
    awaitingStreams = [stream]
    return .fetchDeliveries(stream: stream, ids: entries.map(\.id))
  }

  /// XPENDING answered the delivery counts of the entries asked about (by id; an id missing is
  /// no longer pending for this consumer: another consumer claimed it, and it is dropped here).
  public mutating func deliveriesFetched(_ counts: [String: Int], stream: String, now: Duration) -> Action {
    failuresInARow = 0
    var kept: [StreamEntry] = []
    for var e in awaiting {
      guard e.stream == stream, e.payload != .trimmed else {
        kept.append(e)
        continue
      }
      guard let n = counts[e.id] else { continue }
      e.deliveries = n
      kept.append(e)
    }
    awaiting = kept
    awaitingStreams.removeFirst()
    if let s = awaitingStreams.first {
      return .fetchDeliveries(
        stream: s, ids: awaiting.filter { $0.stream == s && $0.deliveries == 1 }.map(\.id))
    }
    let batch = classify(awaiting)
    awaiting = []
    return batch.isEmpty ? next(now: now) : .process(batch)
  }

  /// The batch is committed, published and acknowledged.
  public mutating func processed(now: Duration) -> Action {
    processed(now: now, commitInFlight: false)
  }

  /// The batch is decided and its commit started (`commitInFlight`: it has not returned yet;
  /// its publication and acknowledgement wait for `settle`), or done (false).
  public mutating func processed(now: Duration, commitInFlight: Bool) -> Action {
    failuresInARow = 0
    self.commitInFlight = commitInFlight
    return next(now: now)
  }

  /// The commit in flight returned, its rows are published and its entries acknowledged.
  public mutating func settled(now: Duration) -> Action {
    failuresInARow = 0
    commitInFlight = false
    return next(now: now)
  }

  /// Something failed. Whatever was in hand is dropped: it is still pending in Redis and will be
  /// read again (own pending first), and what was committed is in the outbox.
  public mutating func failed(_ failure: Failure) -> Action {
    awaiting = []
    awaitingStreams = []
    claimQueue = []
    claimCursor = "0-0"
    commitInFlight = false
    for s in settings.streams { cursors[s] = "0" }
    switch failure {
    case .connection:
      if stopping { return .stop }
      counts.reconnects += 1
      failuresInARow += 1
      // 50 ms, 100 ms, … up to 2 s between attempts.
      let backoff = Duration.milliseconds(min(2000, 50 << min(failuresInARow - 1, 6)))
      return .reconnect(after: backoff)
    case .noGroup(let stream):
      counts.groupsRecreated += 1
      return .createGroups(settings.streams.contains(stream) ? [stream] : settings.streams)
    }
  }

  /// A connection is open again: groups may be gone (Redis restarted without persistence).
  public mutating func reconnected() -> Action { .createGroups(settings.streams) }

  /// SIGTERM: finish what is in hand, then stop.
  public mutating func stopRequested() { stopping = true }

  // MARK: - Internals

  /// After a batch (or nothing): stop, claim, read own pending, or read new entries.
  mutating func next(now: Duration) -> Action {
    if stopping { return commitInFlight ? .settle : .stop }
    if let stream = claimQueue.first {
      return .claim(
        stream: stream, cursor: claimCursor, minIdle: settings.claimIdle, count: settings.batchSize)
    }
    let pending = settings.streams.filter { cursors[$0] != ">" }
    if !pending.isEmpty {
      return .read(
        streams: pending, ids: pending.map { cursors[$0] ?? "0" }, count: settings.batchSize, block: nil)
    }
    if lastClaim.map({ now - $0 >= settings.claimInterval }) ?? true {
      lastClaim = now
      claimQueue = settings.streams
      claimCursor = "0-0"
      return next(now: now)
    }
    // With a commit in flight, a blocking read would hold its batch's publication and
    // acknowledgement for up to BLOCK: read without it (an empty answer settles first).
    return .read(
      streams: settings.streams, ids: settings.streams.map { _ in ">" }, count: settings.batchSize,
      block: commitInFlight ? nil : settings.block)
  }

  /// Splits entries into events, dead letters and trimmed ones.
  mutating func classify(_ entries: [StreamEntry]) -> ConsumerBatch {
    var batch = ConsumerBatch()
    for e in entries {
      if e.deliveries > 1 { counts.redeliveries += 1 }
      switch e.payload {
      case .trimmed:
        counts.trimmed += 1
        batch.trimmed.append(e)
      case .missingEvent(let fields):
        counts.deadLetters += 1
        batch.deadLetters.append(
          DeadLetter(entry: e, reason: "entry has no `event` field (fields: \(fields))"))
      case .event:
        if e.deliveries > settings.maxDeliveries {
          counts.deadLetters += 1
          batch.deadLetters.append(
            DeadLetter(
              entry: e, reason: "delivered \(e.deliveries) times (more than \(settings.maxDeliveries))"))
        } else {
          batch.events.append(e)
        }
      }
    }
    return batch
  }

  /// The streams of `entries`, in first-seen order.
  func orderedStreams(_ entries: [StreamEntry]) -> [String] {
    var seen: [String] = []
    for e in entries where !seen.contains(e.stream) { seen.append(e.stream) }
    return seen
  }
}
