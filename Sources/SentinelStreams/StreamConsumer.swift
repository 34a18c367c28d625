// The stream consumer service: performs `ConsumerStateMachine`'s actions on a dedicated thread
// (hiredis calls block; they never run on Swift's cooperative pool).
//
// One batch (`process`), in this order — each step is safe to crash after:
//   1. decide   every event through its partition's `EventProcessor` (duplicates: nothing new)
//   2. commit   ONE SQLite transaction per partition: states, decisions, processed event ids
//               and the outbox rows (decisions, dead letters), fenced on the tenant's last
//               sequence number (another writer since we loaded → reload and decide again)
//   3. publish  every unpublished outbox row, in id order, with one Lua script that XADDs the rows
//               above this database's watermark and raises the watermark (atomic in Redis); the
//               rows are the ones the commits of step 2 wrote (their ids returned by the commit),
//               unless a commit found another unpublished row among them: then, as at start and
//               after a reconnection, they are read back from SQLite (`ConsumerLoop.held`)
//   4. XACK     the batch's entries
//   5. mark     the outbox rows published: in the transaction of the next batch's commit (no
//               fsync of its own), or on its own when the consumer idles or stops
//
// Pipelined (the default; `ConsumerLoop+Pipeline.swift`): step 2 of batch N runs on a commit
// thread while batch N+1 is read and decided; steps 3 and 4 of batch N follow once its commit
// returned, after batch N+1's commit has started. Each step still happens after the one before
// it for the same batch, one commit is in flight at a time, and so the crash cases below hold
// as they are.
// A crash before 2 leaves the entries pending: read again, decided again (nothing was
// committed). Between 2 and 3: the rows are re-published at start. Between 3 and 5: the
// watermark makes the re-publication a no-op; the entries, still pending, are read again and are
// duplicates. So each event id gets exactly one decision in SQLite and one entry in the output
// stream, as long as Redis keeps what it acknowledged (AOF; see docs/operations.md).

import Foundation
public import Logging
public import SentinelRuntime
import SentinelState
public import ServiceLifecycle
import Synchronization

/// Everything `sentinel consume` configures.
public struct StreamConsumerConfiguration: Sendable {
  /// The Redis server.
  public var endpoint: RedisEndpoint
  /// The input stream and its partitioning.
  public var partitioning: Partitioning
  /// The partitions this consumer owns (`[0]` when unpartitioned).
  public var partitions: [Int]
  /// The consumer group.
  public var group: String
  /// This consumer's name in the group (unique per running consumer).
  public var consumer: String
  /// The output stream (field `decision`).
  public var output: String
  /// The dead-letter stream (fields `event`, `error`).
  public var deadLetter: String
  /// The tenant (state namespace; one set of streams per tenant).
  public var tenant: String
  /// The state database.
  public var databasePath: String
  /// SQLite's page cache of each partition's connection, in MiB (`SQLiteStateStore`'s
  /// `cacheMiB`).
  public var databaseCacheMiB = SQLiteStateStore.defaultCacheMiB
  /// Decisions between two folds of each partition's event ids (`SQLiteStateStore`'s
  /// `foldEvery`; `serve --redis` passes `--db-fold-every`).
  public var databaseFoldEvery = SQLiteStateStore.defaultFoldEvery
  /// Batch size, BLOCK, delivery limit, claiming.
  public var settings: ConsumerSettings
  /// Test-only fault injection: crash points (`before-commit`, `after-commit`, `after-publish`,
  /// `after-ack`; pipelined also `decided-in-flight` and `commit-in-flight`) and the probability
  /// of a SIGKILL at each (from `SENTINEL_STREAMS_CRASH`); `slow-commit:S` holds each pipelined
  /// commit back S seconds (a slow disk: group commit); `lose-publication:p` breaks the
  /// connection after a pipelined publication is recorded as sent, before Redis reads it.
  public var crashPoints: [String: Double]
  /// Whether a batch is decided while the previous batch's commit runs on a commit thread
  /// (`sentinel consume --no-pipeline`: one batch after the other, on one thread).
  public var pipeline: Bool

  /// A configuration.
  public init(
    endpoint: RedisEndpoint, partitioning: Partitioning, partitions: [Int], group: String, consumer: String,
    output: String, deadLetter: String, tenant: String, databasePath: String, batchSize: Int = 512,
    block: Duration = .milliseconds(500), maxDeliveries: Int = 5, claimIdle: Duration = .seconds(30),
    crashPoints: [String: Double] = [:], pipeline: Bool = true
  ) {
    self.endpoint = endpoint
    self.partitioning = partitioning
    self.partitions = partitions
    self.group = group
    self.consumer = consumer
    self.output = output
    self.deadLetter = deadLetter
    self.tenant = tenant
    self.databasePath = databasePath
    self.settings = ConsumerSettings(
      streams: partitions.map { partitioning.streamName($0) }, batchSize: batchSize, block: block,
      maxDeliveries: maxDeliveries, claimIdle: claimIdle,
      claimInterval: min(.seconds(5), claimIdle / 2))
    self.crashPoints = crashPoints
    self.pipeline = pipeline
  }

  /// Parses `SENTINEL_STREAMS_CRASH` (`after-commit:0.05,after-ack:0.02`): for tests only.
  public static func crashPoints(from text: String?) -> [String: Double] {
    var out: [String: Double] = [:]
    for item in (text ?? "").split(separator: ",") {
      let parts = item.split(separator: ":")
      if parts.count == 2, let p = Double(parts[1]) { out[String(parts[0])] = p }
    }
    return out
  }
}

/// What the consumer has done so far (for logs; the lead wires these to /metrics).
public struct ConsumerMetrics: Sendable, Equatable {
  /// The state machine's counters (read, redeliveries, dead letters, trimmed, claimed, …).
  public var machine = ConsumerCounts()
  /// New decisions committed.
  public var decided = 0
  /// Events whose id was already decided (acknowledged, nothing published).
  public var duplicates = 0
  /// Events the engine rejected (dead-lettered).
  public var rejected = 0
  /// Batches read and decided.
  public var batches = 0
  /// Partition commits (transactions): fewer than batches when batches decided while a commit
  /// ran were committed together (group commit).
  public var commits = 0
  /// Outbox rows written to Redis (decisions and dead letters; re-publications skipped by the
  /// watermark are not counted).
  public var published = 0
  /// Commits refused by the fence (another writer committed first) and redone.
  public var fenceConflicts = 0
  /// Entries in the group's pending lists (all consumers), at the last look.
  public var pending = 0
  /// Entries not yet delivered to the group (XINFO GROUPS `lag`), at the last look.
  public var lag = 0

  /// Dead letters of every kind.
  public var deadLetters: Int { machine.deadLetters + rejected }
}

/// The Redis Streams consumer as a ServiceLifecycle service: `run()` consumes until graceful
/// shutdown (SIGTERM), finishing the batch in hand (committed, published, acknowledged).
public final class StreamConsumer: Service, Sendable {
  /// The configuration.
  public let configuration: StreamConsumerConfiguration
  let bundle: LoadedBundle
  let logger: Logger
  let stopFlag = Atomic<Bool>(false)
  let metricsBox = Mutex(ConsumerMetrics())

  /// A consumer deciding with `bundle`.
  public init(bundle: LoadedBundle, configuration: StreamConsumerConfiguration, logger: Logger) {
    self.bundle = bundle
    self.configuration = configuration
    self.logger = logger
  }

  /// The counters so far.
  public var metrics: ConsumerMetrics { metricsBox.withLock { $0 } }

  /// Asks the consumer to stop after the batch in hand.
  public func stop() { stopFlag.store(true, ordering: .relaxed) }

  /// Consumes on a dedicated thread until graceful shutdown; throws what stopped it otherwise
  /// (a state-store failure, a Redis refusal that retrying cannot fix).
  public func run() async throws {
    try await withGracefulShutdownHandler {
      try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
          let thread = Thread { [self] in
            do {
              let loop = try ConsumerLoop(consumer: self)
              try loop.run()
              done.resume()
            } catch {
              done.resume(throwing: error)
            }
          }
          thread.name = "sentinel-streams"
          thread.stackSize = 8 << 20
          thread.start()
        }
      } onCancel: {
        self.stop()
      }
    } onGracefulShutdown: {
      self.stop()
    }
  }
}

/// A consumer failure that stops it.
public struct StreamConsumerError: Error, Sendable, CustomStringConvertible {
  /// What failed.
  public var description: String
}

// MARK: - The loop (one thread)

/// One partition's decision path: its store, processor and fence.
final class PartitionWorker {
  let stream: String
  let tenant: String
  let store: SQLiteStateStore
  let fenced: FencedStore
  var processor: EventProcessor
  let bundle: LoadedBundle
  /// Where this partition's audit chain will stand once its commit in flight returned (the end
  /// of the links computed ahead for it), or nil: read from the store after the next settle.
  var chainTip: ChainTip?

  init(
    stream: String, tenant: String, path: String, cacheMiB: Int,
    foldEvery: Int = SQLiteStateStore.defaultFoldEvery, bundle: LoadedBundle
  ) throws {
    self.stream = stream
    self.tenant = tenant
    self.bundle = bundle
    store = try SQLiteStateStore(path: path, tenant: tenant, cacheMiB: cacheMiB, foldEvery: foldEvery)
    fenced = try FencedStore(store)
    processor = EventProcessor(bundle: bundle, store: fenced)
  }

  /// Forgets every cached state: the store is read again (after another writer committed).
  func reload() throws {
    try fenced.reset()
    processor = EventProcessor(bundle: bundle, store: fenced)
    chainTip = nil
  }
}

/// The state store a partition's processor writes through: adds the batch's outbox rows and the
/// fence to the processor's commit.
final class FencedStore: StateStore, EventIDIndex {
  let inner: SQLiteStateStore
  var expected: Int64
  var outbox: [OutboxRecord] = []
  /// The consumer's pending published mark, carried by the next commit and then cleared.
  var markPublishedThrough: Int64?
  /// Set by the consumer before a commit: ask whether the outbox holds an unpublished row above
  /// this id (`StateBatch.outboxUnpublishedCheckAfter`).
  var unpublishedCheckAfter: Int64?
  /// What the last commit wrote to the outbox: its rows with their ids, and whether they follow
  /// every other unpublished row (`OutboxWrite`); nil until a commit with outbox rows.
  var written: (rows: [OutboxRecord], report: OutboxWrite)?

  init(_ inner: SQLiteStateStore) throws {
    self.inner = inner
    // INVARIANT: read before the processor loads any state (the processor loads lazily, at its
    // first event), so a writer committing in between makes the fence fail, never pass stale.
    expected = try inner.lastSequence()
  }

  func reset() throws {
    expected = try inner.lastSequence()
    outbox = []
  }

  var tenant: String { inner.tenant }
  func loadState(_ key: StateKey) throws -> AggregateState? { try inner.loadState(key) }
  func decisionLine(forEventID id: String) throws -> String? { try inner.decisionLine(forEventID: id) }
  func allEventIDs() throws -> Set<String> { try inner.allEventIDs() }
  func allStates() throws -> [StateKey: AggregateState] { try inner.allStates() }

  func commit(_ batch: StateBatch) throws {
    let b = prepare(batch, mark: markPublishedThrough, checkAfter: unpublishedCheckAfter, takingOutbox: false)
    let report = try inner.commitReportingOutbox(b)
    committed(b)
    if !outbox.isEmpty { written = (outbox, report) }
    outbox = []
    markPublishedThrough = nil
  }

  /// `batch` with what this store adds to a commit: the outbox rows (taken from this store when
  /// `takingOutbox`, for a commit that runs elsewhere), the fence, the published mark and the
  /// unpublished check.
  func prepare(_ batch: StateBatch, mark: Int64?, checkAfter: Int64?, takingOutbox: Bool) -> StateBatch {
    var b = batch
    b.outbox = outbox
    if takingOutbox { outbox = [] }
    b.expectedLastSequence = expected
    b.markOutboxPublishedThrough = mark
    b.outboxUnpublishedCheckAfter = checkAfter
    return b
  }

  /// A batch made by `prepare` is committed: the fence moves past its decisions.
  func committed(_ batch: StateBatch) {
    expected += Int64(batch.decisions.count)
  }

  /// Commits the outbox rows left when the processor had nothing to commit (dead letters only).
  func flushOutbox() throws {
    if outbox.isEmpty { return }
    try commit(StateBatch())
  }
}
