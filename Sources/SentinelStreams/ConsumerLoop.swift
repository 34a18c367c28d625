// The I/O side of the consumer, on its own thread: performs each action of the state machine
// (Redis commands through hiredis, decisions, SQLite commits) and reports the outcome back.

import Foundation
import Logging
import SentinelRuntime
import SentinelState

#if canImport(Glibc)
  import Glibc
#endif

/// Runs one consumer's loop. Confined to the consumer's thread (not `Sendable`).
final class ConsumerLoop {
  let consumer: StreamConsumer
  let config: StreamConsumerConfiguration
  let logger: Logger
  let redis: RedisConnection
  var machine: ConsumerStateMachine
  /// Per input stream: its partition's worker.
  var workers: [String: PartitionWorker] = [:]
  /// The store used for the outbox (every worker's store is the same file; the first one).
  let outboxStore: SQLiteStateStore
  let watermarkKey: String
  var scriptSHA: String?
  let clock = ContinuousClock()
  let started: ContinuousClock.Instant
  var lastReport: ContinuousClock.Instant
  var lastLook: ContinuousClock.Instant?
  /// When the first entries were read, and when entries were last acknowledged (the stop line's
  /// `read_to_ack_s`: the time spent consuming, without start-up and idle waits after the last).
  var firstRead: ContinuousClock.Instant?
  var lastAcknowledged: ContinuousClock.Instant?
  /// Wall time this loop spent waiting for Redis (round trips and replies read later, with their
  /// parsing; not a blocking read that found nothing) and for the commit thread: the stop
  /// line's `redis_s` and `commit_wait_s` (with `cpu_loop_s`, what the loop's time went to).
  var redisTime: Duration = .zero
  var commitWaitTime: Duration = .zero
  /// Commands sent whose replies are read later, in order, and the entries of a read sent
  /// ahead (`ConsumerLoop+Replies.swift`).
  var sent: [SentCommand] = []
  var prefetched: (key: PrefetchKey, entries: [StreamEntry])?
  var froze = false
  /// The last outbox id this loop wrote to Redis: the next publication reads only rows above it.
  var publishedThrough: Int64 = 0
  /// Outbox rows up to this id are in Redis but not yet marked published in SQLite: the mark
  /// rides in the next commit's transaction (`StateBatch.markOutboxPublishedThrough`), or is
  /// written on its own when the loop idles or stops. Until then a restart re-publishes them,
  /// which the Redis watermark turns into a no-op.
  var unmarkedThrough: Int64?
  /// Outbox rows this loop committed and has not written to Redis yet, with their ids, in id
  /// order. INVARIANT: while `heldIsComplete`, they are exactly the unpublished rows with an id
  /// above `publishedThrough` (every commit checks, in its transaction, that no other unpublished
  /// row lies above the last id held: `StateBatch.outboxUnpublishedCheckAfter`), so a batch is
  /// published from them instead of being read back from SQLite.
  var held = HeldRows()
  /// Whether `held` is every unpublished row above `publishedThrough`; false once a commit found
  /// another row there (another process's commit, rows left by a crash): then publication reads
  /// the rows back from SQLite, and the next commits check again from what it published.
  var heldIsComplete = true
  /// Pipelined: the batch whose commit runs on `committer`, until `settle` (one at a time).
  var inFlight: InFlightBatch?
  /// Pipelined: the thread the commits run on (nil with `--no-pipeline`).
  let committer: ConsumerCommitThread?
  /// Pipelined: batches decided while the commit in flight runs, committed together next.
  var group = DecidedGroup()
  /// The most entries a group takes before its commit waits for the one in flight: 16 batches
  /// (8 until session 13: on a loaded disk a commit took longer than deciding 8 batches, and the
  /// loop waited for it; docs/performance.md).
  var groupLimit: Int { config.settings.batchSize * 16 }

  init(consumer: StreamConsumer) throws {
    self.consumer = consumer
    config = consumer.configuration
    logger = consumer.logger
    // NOTE: the read timeout must exceed XREADGROUP's BLOCK (BUILD_NOTES.md).
    redis = RedisConnection(endpoint: config.endpoint, readTimeout: config.settings.block + .seconds(10))
    machine = ConsumerStateMachine(settings: config.settings)
    committer = config.pipeline ? ConsumerCommitThread(delay: config.crashPoints["slow-commit"] ?? 0) : nil
    let c = consumer.configuration
    var made: [String: PartitionWorker] = [:]
    var first: PartitionWorker?
    for p in c.partitions {
      let stream = c.partitioning.streamName(p)
      let w = try PartitionWorker(
        stream: stream, tenant: c.partitioning.stateTenant(c.tenant, p), path: c.databasePath,
        cacheMiB: c.databaseCacheMiB, foldEvery: c.databaseFoldEvery, bundle: consumer.bundle)
      made[stream] = w
      if first == nil { first = w }
    }
    guard let first else { throw StreamConsumerError(description: "no partition to consume") }
    workers = made
    outboxStore = first.store
    watermarkKey = "sentinel:outbox:\(try outboxStore.outboxSourceID())"
    started = clock.now
    lastReport = started
  }

  var now: Duration { clock.now - started }

  /// Runs until the machine stops.
  func run() throws {
    logger.info(
      "consuming",
      metadata: [
        "redis": "\(config.endpoint)", "streams": "\(config.settings.streams.joined(separator: ","))",
        "group": "\(config.group)", "consumer": "\(config.consumer)", "output": "\(config.output)",
      ])
    var action = machine.start()
    while true {
      if consumer.stopFlag.load(ordering: .relaxed) && !machine.isStopping { machine.stopRequested() }
      if case .stop = action {
        // Entries read ahead are this consumer's: decided before it stops.
        if let next = try prefetchedOnStop() {
          action = next
          continue
        }
        break
      }
      do {
        action = try perform(action)
      } catch let e as RedisError {
        if case .server(_, let message) = e, message.hasPrefix("NOGROUP") {
          logger.warning("consumer group lost; creating it again from id 0", metadata: ["error": "\(e)"])
          abandonSent()
          try settleAll()
          action = machine.failed(.noGroup(stream: streamOf(message)))
        } else if e.isConnectionFailure || e.isTransient {
          logger.warning("Redis connection failed; reconnecting", metadata: ["error": "\(e)"])
          abandonSent()
          redis.close()
          // The commit in flight is settled; its rows are published and its entries (pending,
          // read again) acknowledged as duplicates after the reconnection.
          try settleAll()
          action = machine.failed(.connection)
        } else {
          throw StreamConsumerError(description: "\(e)")
        }
      }
      publishMetrics()
    }
    // The machine settles before it stops; a commit still in flight here only comes from a
    // failure while stopping: it is settled, its entries are read again at the next start.
    try receiveSent()
    try settleAll()
    try flushOutboxMark()
    publishMetrics()
    report(final: true)
    for w in workers.values { try? w.store.close() }
  }

  /// The stream a NOGROUP message names (`NOGROUP No such key 'events' or consumer group …`).
  func streamOf(_ message: String) -> String {
    let parts = message.split(separator: "'", omittingEmptySubsequences: false)
    return parts.count > 1 ? String(parts[1]) : ""
  }

  // MARK: - Actions

  func perform(_ action: ConsumerStateMachine.Action) throws -> ConsumerStateMachine.Action {
    switch action {
    case .createGroups(let streams):
      try receiveSent()
      for s in streams {
        let reply = try redis.command(["XGROUP", "CREATE", s, config.group, "0", "MKSTREAM"])
        if case .error(let m) = reply, !m.hasPrefix("BUSYGROUP") {
          throw RedisError.server(command: "XGROUP CREATE \(s)", message: m)
        }
      }
      return machine.groupsCreated()

    case .publishOutbox:
      try receiveSent()
      try publishOutbox()
      return machine.outboxPublished(now: now)

    case .read(let streams, let ids, let count, let block):
      let fresh = ids.allSatisfy { $0 == ">" }
      let key = PrefetchKey(streams: streams, count: count)
      var entries: [StreamEntry]
      if fresh, let ahead = try takePrefetched(key) {
        entries = ahead
      } else {
        try receiveSent()
        // A read of own pending entries (after a start or a failure) reads entries read ahead
        // too: they are pending in this consumer's name.
        if !fresh { prefetched = nil }
        let args = readArguments(streams: streams, ids: ids, count: count, block: block)
        let t0 = clock.now
        entries = try redis.command(args) { (raw) throws(RedisError) in
          try StreamReplies.readGroup(raw: raw)
        }
        // A blocking read that found nothing is idle time, not a wait for Redis.
        if block == nil || !entries.isEmpty { redisTime += clock.now - t0 }
      }
      try lookAround()
      // A full read: more entries are likely waiting; the next read goes out now.
      if fresh && entries.count >= count { try prefetch(key) }
      if firstRead == nil && !entries.isEmpty { firstRead = clock.now }
      if entries.isEmpty && inFlight == nil { try flushOutboxMark() }
      return machine.entriesRead(entries, readStreams: streams, now: now)

    case .fetchDeliveries(let stream, let ids):
      try receiveSent()
      guard let first = ids.first, let last = ids.last else {
        return machine.deliveriesFetched([:], stream: stream, now: now)
      }
      let reply = try checked(
        redis.command([
          "XPENDING", stream, config.group, first, last, String(ids.count + config.settings.batchSize),
          config.consumer,
        ]), "XPENDING")
      return machine.deliveriesFetched(try StreamReplies.pendingCounts(reply), stream: stream, now: now)

    case .claim(let stream, let cursor, let minIdle, let count):
      try receiveSent()
      let reply = try checked(
        redis.command([
          "XAUTOCLAIM", stream, config.group, config.consumer, String(minIdle.milliseconds), cursor, "COUNT",
          String(count),
        ]), "XAUTOCLAIM")
      let (next, entries, deleted) = try StreamReplies.autoclaim(reply, stream: stream)
      if !entries.isEmpty {
        logger.info("claimed idle entries", metadata: ["stream": "\(stream)", "count": "\(entries.count)"])
      }
      return machine.claimed(entries, deleted: deleted, stream: stream, nextCursor: next, now: now)

    case .process(let batch):
      if committer != nil {
        try processPipelined(batch)
        return machine.processed(now: now, commitInFlight: inFlight != nil)
      }
      try process(batch)
      return machine.processed(now: now)

    case .settle:
      try finishInFlight()
      return machine.settled(now: now)

    case .reconnect(let delay):
      abandonSent()
      Thread.sleep(forTimeInterval: delay.seconds)
      do {
        try redis.connect()
      } catch {
        logger.debug("reconnect failed", metadata: ["error": "\(error)"])
        return machine.failed(.connection)
      }
      scriptSHA = nil
      logger.info("reconnected to Redis", metadata: ["redis": "\(config.endpoint)"])
      return machine.reconnected()

    case .stop:
      return .stop
    }
  }

  /// `XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS s… id…` (the machine's reads, and the
  /// read sent ahead).
  func readArguments(streams: [String], ids: [String], count: Int, block: Duration?) -> [String] {
    var args = ["XREADGROUP", "GROUP", config.group, config.consumer, "COUNT", String(count)]
    if let block { args += ["BLOCK", String(block.milliseconds)] }
    return args + ["STREAMS"] + streams + ids
  }

  /// The reply, or the server's refusal as an error.
  func checked(_ reply: RedisReply, _ command: String) throws -> RedisReply {
    if case .error(let m) = reply { throw RedisError.server(command: command, message: m) }
    return reply
  }

  // MARK: - One batch

  /// The batch's entries by partition, in stream order (partitions without entries left out).
  func partitions(of batch: ConsumerBatch) -> [PartitionEntries] {
    // One partition (the usual case): its entries as the batch holds them, no copy per entry.
    if workers.count == 1, let (stream, worker) = workers.first,
      batch.events.allSatisfy({ $0.stream == stream }),
      batch.deadLetters.allSatisfy({ $0.entry.stream == stream })
    {
      if batch.events.isEmpty && batch.deadLetters.isEmpty { return [] }
      return [PartitionEntries(worker: worker, events: batch.events, dead: batch.deadLetters)]
    }
    var byStream: [String: [StreamEntry]] = [:]
    for e in batch.events { byStream[e.stream, default: []].append(e) }
    var deadByStream: [String: [DeadLetter]] = [:]
    for d in batch.deadLetters { deadByStream[d.entry.stream, default: []].append(d) }
    var out: [PartitionEntries] = []
    for (stream, worker) in workers.sorted(by: { $0.key < $1.key }) {
      let events = byStream[stream] ?? []
      let dead = deadByStream[stream] ?? []
      if events.isEmpty && dead.isEmpty { continue }
      out.append(PartitionEntries(worker: worker, events: events, dead: dead))
    }
    return out
  }

  /// The sequential batch (`--no-pipeline`): decide and commit, publish, acknowledge.
  func process(_ batch: ConsumerBatch) throws {
    consumer.metricsBox.withLock { $0.batches += 1 }
    for p in partitions(of: batch) {
      try commitPartition(p.worker, events: p.events, dead: p.dead)
    }
    crashPoint("after-commit")
    try publishAndAcknowledge(batch.acknowledgements)
  }

  /// Publishes the committed outbox rows not yet in Redis, then acknowledges `acknowledgements`
  /// (their decisions are among the rows, or were committed before); the published mark rides
  /// in the next commit.
  func publishAndAcknowledge(_ acknowledgements: [String: [String]]) throws {
    // Pipelined: sent, their replies read later (`ConsumerLoop+Replies.swift`).
    if try sendPublication(acknowledgements) { return }
    try receiveSent()
    let published = try publishOutbox(mark: false)
    crashPoint("after-publish")
    let acks = acknowledgementArguments(acknowledgements)
    let t0 = clock.now
    let replies = try redis.pipeline(acks)
    redisTime += clock.now - t0
    for reply in replies {
      if case .error(let m) = reply { throw RedisError.server(command: "XACK", message: m) }
    }
    crashPoint("after-ack")
    if !acknowledgements.isEmpty { lastAcknowledged = clock.now }
    if let last = published { unmarkedThrough = last }
  }

  /// XACK of `acknowledgements`' entries, one command per stream.
  func acknowledgementArguments(_ acknowledgements: [String: [String]]) -> [RedisArguments] {
    var acks: [RedisArguments] = []
    for (stream, ids) in acknowledgements.sorted(by: { $0.key < $1.key }) {
      var a = RedisArguments(bytes: 64 + ids.count * 20, count: 3 + ids.count)
      a.append("XACK")
      a.append(stream)
      a.append(config.group)
      for id in ids { a.append(id) }
      acks.append(a)
    }
    return acks
  }

  /// Writes the pending published mark in a transaction of its own (idle, stopping).
  func flushOutboxMark() throws {
    guard let last = unmarkedThrough else { return }
    try outboxStore.markOutboxPublished(through: last)
    unmarkedThrough = nil
  }

  /// Decides a partition's events and commits them with their outbox rows (and the pending
  /// published mark); redoes the batch from a fresh load when the commit did not happen because
  /// of another writer: the fence found its decisions (reload at once), or its lock outlasted the
  /// busy timeout (wait, then reload). Either way nothing was committed or acknowledged.
  /// `attempts`: how many times the batch was tried already (a pipelined commit refused once).
  func commitPartition(
    _ w: PartitionWorker, events: [StreamEntry], dead: [DeadLetter], attempts tried: Int = 0
  )
    throws
  {
    var attempts = tried
    while true {
      attempts += 1
      let counts = try decide(w, events: events, dead: dead)
      crashPoint("before-commit")
      w.fenced.markPublishedThrough = unmarkedThrough
      w.fenced.unpublishedCheckAfter = heldIsComplete ? (held.lastID ?? publishedThrough) : nil
      w.fenced.written = nil
      do {
        try w.processor.commit()
        try w.fenced.flushOutbox()
      } catch {
        try prepareRetry(after: error, attempts: attempts)
        try w.reload()
        continue
      }
      if w.fenced.markPublishedThrough == nil { unmarkedThrough = nil }
      if let written = w.fenced.written {
        hold(written.rows, written.report)
        w.fenced.written = nil
      }
      count(counts)
      return
    }
  }

  /// A commit failed with `error` at its `attempts`-th try: throws when it is not one to redo
  /// (or the attempts are used up), else counts and logs it (and waits, for a busy database).
  /// The caller reloads the partition's state and redoes the batch.
  func prepareRetry(after error: any Error, attempts: Int) throws {
    guard let retry = CommitRetry(error), attempts < CommitRetry.maxAttempts else {
      if let fence = error as? StateFenceError {
        throw StreamConsumerError(description: "\(fence) (\(attempts) attempts)")
      }
      throw error
    }
    switch retry {
    case .fenced:
      consumer.metricsBox.withLock { $0.fenceConflicts += 1 }
      logger.info(
        "another writer committed to this partition; reloading its state", metadata: ["fence": "\(error)"])
    case .busy:
      logger.warning(
        "the state database is busy; redoing the batch",
        metadata: ["error": "\(error)", "attempt": "\(attempts)"]
      )
      Thread.sleep(forTimeInterval: 0.1 * Double(attempts))
    }
  }

  /// Decides a partition's events through its processor and adds their outbox rows (decisions,
  /// dead letters) to its store's; nothing is committed.
  func decide(_ w: PartitionWorker, events: [StreamEntry], dead: [DeadLetter]) throws -> BatchCounts {
    var counts = BatchCounts()
    for d in dead {
      w.fenced.outbox.append(deadLetter(d.entry, reason: d.reason))
    }
    for e in events {
      guard case .event(let bytes) = e.payload else { continue }
      let result = try bytes.withUnsafeBufferPointer { try w.processor.process(bytes: $0) }
      switch result {
      case .decided(let decision, let line):
        counts.decided += 1
        w.fenced.outbox.append(
          OutboxRecord(stream: config.output, kind: .decision, body: line, eventID: decision.eventID))
      case .duplicate:
        counts.duplicates += 1
      case .rejected(let error, _):
        counts.rejected += 1
        w.fenced.outbox.append(deadLetter(e, reason: error.message))
      case .blank:
        counts.rejected += 1
        w.fenced.outbox.append(deadLetter(e, reason: "the `event` field is blank"))
      }
    }
    return counts
  }

  /// Adds a committed partition batch's counts to the metrics.
  func count(_ c: BatchCounts) {
    consumer.metricsBox.withLock { m in
      m.decided += c.decided
      m.duplicates += c.duplicates
      m.rejected += c.rejected
      m.commits += 1
    }
  }

  func deadLetter(_ e: StreamEntry, reason: String) -> OutboxRecord {
    let raw: String
    switch e.payload {
    case .event(let b): raw = String(decoding: b, as: UTF8.self)
    case .missingEvent(let fields): raw = fields
    case .trimmed: raw = ""
    }
    return OutboxRecord(stream: config.deadLetter, kind: .deadLetter, body: raw, error: reason)
  }

  // MARK: - Publication

  /// XADDs the rows above this database's watermark and raises it, atomically (cluster: every
  /// stream and the watermark key must hash to one slot).
  static let publishScript = """
    local wm = tonumber(redis.call('GET', KEYS[1]) or '0')
    local top = nil
    local n = 0
    for i = 1, #ARGV, 5 do
      if tonumber(ARGV[i]) > wm then
        local key = KEYS[tonumber(ARGV[i + 1])]
        if ARGV[i + 2] == 'decision' then
          redis.call('XADD', key, '*', 'decision', ARGV[i + 3])
        else
          redis.call('XADD', key, '*', 'event', ARGV[i + 3], 'error', ARGV[i + 4])
        end
        top = ARGV[i]
        n = n + 1
      end
    end
    if top then redis.call('SET', KEYS[1], top) end
    return n
    """

  /// Rows per publication script call.
  static let publicationChunk = 4096

  /// Takes the outbox rows a commit wrote: held for publication from memory while every
  /// unpublished row is known (`held`), else the next publication reads them back.
  func hold(_ rows: [OutboxRecord], _ report: OutboxWrite) {
    guard heldIsComplete, report.followsUnpublished, let ids = report.ids,
      ids.count == rows.count
    else {
      heldIsComplete = false
      held.removeAll()
      return
    }
    held.append(rows, first: ids.lowerBound)
  }

  /// Publishes every unpublished outbox row above the last one this loop published; marks them
  /// published unless `mark` is false (then the caller marks them after acknowledging). Returns
  /// the last row id published, if any. After a batch (`mark` false) the rows are the ones its
  /// commits wrote (`held`), unless another row was found among them: then, as at start and
  /// after a reconnection, they are read back from SQLite.
  @discardableResult
  func publishOutbox(mark: Bool = true) throws -> Int64? {
    if !mark && heldIsComplete { return try publishHeld() }
    var last: Int64?
    var complete = false
    while true {
      let rows = try outboxStore.unpublishedOutbox(after: publishedThrough, limit: Self.publicationChunk)
      complete = rows.count < Self.publicationChunk
      guard let top = rows.last?.id else { break }
      if top == last { break }
      let added = try runScript([OutboxPiece(rows: rows[...], first: nil)])
      consumer.metricsBox.withLock { $0.published += added }
      last = top
      publishedThrough = top
      if !mark || complete {
        if mark {
          try outboxStore.markOutboxPublished(through: top)
          if let u = unmarkedThrough, u <= top { unmarkedThrough = nil }
        }
        break
      }
      try outboxStore.markOutboxPublished(through: top)
    }
    // Everything up to `publishedThrough` is in Redis; the next commit checks from there again
    // (rows above it that were not read are found by that check).
    held.removeAll()
    heldIsComplete = complete
    return last
  }

  /// Publishes the held rows (the batch's commits wrote them, and no other unpublished row lies
  /// among them), in chunks of `publicationChunk`.
  func publishHeld() throws -> Int64? {
    guard let top = held.lastID else { return nil }
    for chunk in held.chunks(of: Self.publicationChunk) {
      guard let last = chunk.lastID else { continue }
      let added = try runScript(chunk)
      consumer.metricsBox.withLock { $0.published += added }
      publishedThrough = last
    }
    held.removeAll()
    return top
  }

  /// EVALSHA of the publication script for `rows` (in id order), loading the script first
  /// when Redis does not know it. The arguments go in one buffer (`RedisArguments`): five per
  /// row, no string or array each.
  func runScript(_ rows: [OutboxPiece]) throws -> Int {
    try receiveSent()
    for _ in 0..<2 {
      if scriptSHA == nil {
        let loaded = try checked(redis.command(["SCRIPT", "LOAD", Self.publishScript]), "SCRIPT LOAD")
        scriptSHA = loaded.string
      }
      let t0 = clock.now
      let reply = try redis.command(publicationArguments(rows, sha: scriptSHA ?? ""))
      redisTime += clock.now - t0
      if case .error(let m) = reply {
        if m.hasPrefix("NOSCRIPT") {
          scriptSHA = nil
          continue
        }
        throw RedisError.server(command: "EVALSHA (outbox publication)", message: m)
      }
      return Int(reply.integer ?? 0)
    }
    throw RedisError.server(command: "EVALSHA (outbox publication)", message: "script not loaded")
  }

  /// EVALSHA `sha` (the publication script) for the rows of `pieces`: the watermark key and
  /// each output stream as keys, five arguments per row.
  func publicationArguments(_ pieces: [OutboxPiece], sha: String) -> RedisArguments {
    var keys = [watermarkKey]
    var keyIndex: [String: Int64] = [:]
    var streamKeys: [Int64] = []
    let count = pieces.rowCount
    streamKeys.reserveCapacity(count)
    var size = 64
    // Rows nearly always name the same stream as the row before: compared before hashing.
    var lastStream: String?
    var lastKey: Int64 = 0
    for p in pieces {
      for r in p.rows {
        if r.stream != lastStream {
          if let i = keyIndex[r.stream] {
            lastKey = i
          } else {
            keys.append(r.stream)
            lastKey = Int64(keys.count)
            keyIndex[r.stream] = lastKey
          }
          lastStream = r.stream
        }
        streamKeys.append(lastKey)
        size += 24 + r.body.utf8.count + (r.error?.utf8.count ?? 0)
      }
    }
    var args = RedisArguments(bytes: size, count: 3 + keys.count + 5 * count)
    args.append("EVALSHA")
    args.append(sha)
    args.append(Int64(keys.count))
    for k in keys { args.append(k) }
    var n = 0
    for p in pieces {
      for (k, r) in p.rows.enumerated() {
        args.append(p.id(k))
        args.append(streamKeys[n])
        args.append(r.kind.rawValue)
        args.append(r.body)
        args.append(r.error ?? "")
        n += 1
      }
    }
    return args
  }

  // MARK: - Metrics, fault injection

  /// Test-only: whether the fault `name` (`SENTINEL_STREAMS_CRASH=name:p`) fires now.
  func faultFires(_ name: String) -> Bool {
    guard let p = config.crashPoints[name] else { return false }
    return Double.random(in: 0..<1) < p
  }

  func publishMetrics() {
    let counts = machine.counts
    consumer.metricsBox.withLock { $0.machine = counts }
    if clock.now - lastReport >= .seconds(10) { report(final: false) }
  }

  /// At most once per 2 s: the group's pending count and lag (XINFO GROUPS, Redis 7).
  func lookAround() throws {
    if let t = lastLook, clock.now - t < .seconds(2) { return }
    lastLook = clock.now
    try receiveSent()
    var pending = 0
    var lag = 0
    for s in config.settings.streams {
      guard let groups = try? redis.command(["XINFO", "GROUPS", s]).array else { return }
      for g in groups {
        guard let info = g.fields, info["name"]?.string == config.group else { continue }
        pending += Int(info["pending"]?.integer ?? 0)
        lag += Int(info["lag"]?.integer ?? 0)
      }
    }
    consumer.metricsBox.withLock {
      $0.pending = pending
      $0.lag = lag
    }
  }

  func report(final: Bool) {
    lastReport = clock.now
    let m = consumer.metrics
    var metadata: Logger.Metadata = [
      "read": "\(m.machine.read)", "decided": "\(m.decided)", "duplicates": "\(m.duplicates)",
      "dead_letters": "\(m.deadLetters)", "redeliveries": "\(m.machine.redeliveries)",
      "trimmed": "\(m.machine.trimmed)", "claimed": "\(m.machine.claimed)", "published": "\(m.published)",
      "pending": "\(m.pending)", "lag": "\(m.lag)", "reconnects": "\(m.machine.reconnects)",
      "fence_conflicts": "\(m.fenceConflicts)", "batches": "\(m.batches)", "commits": "\(m.commits)",
    ]
    if final {
      // Each thread's CPU time: the loop's (Redis, deciding, and the commits without the
      // pipeline) and the commit thread's, with its waits for the disk — which one limits.
      metadata["cpu_loop_s"] = "\(String(format: "%.3f", threadCPUSeconds()))"
      metadata["redis_s"] = "\(String(format: "%.3f", redisTime.seconds))"
      if let firstRead, let lastAcknowledged {
        metadata["read_to_ack_s"] = "\(String(format: "%.3f", (lastAcknowledged - firstRead).seconds))"
      }
      if let committer {
        let t = committer.time.seconds
        metadata["cpu_commit_s"] = "\(String(format: "%.3f", t.cpu))"
        metadata["commit_busy_s"] = "\(String(format: "%.3f", t.busy))"
        metadata["commit_wait_s"] = "\(String(format: "%.3f", commitWaitTime.seconds))"
      }
    }
    logger.info(final ? "consumer stopped" : "consumer progress", metadata: metadata)
  }

  /// Test-only fault injection at a named point: SIGKILL this process with the configured
  /// probability (`after-commit:0.1`), or freeze it once with SIGSTOP (`freeze-before-commit:1`)
  /// when none of its connections is in a transaction.
  ///
  /// NOTE: the signals are raised on this thread (`raise`, i.e. `tgkill` to the caller), not sent
  /// to the process (`kill(getpid(), …)`). A process-directed SIGSTOP is taken by whichever
  /// thread the kernel picks — usually the main thread, asleep in the service group — and the
  /// caller returns from `kill` and runs on until that thread has been scheduled and has stopped
  /// the group: measured on this 2-core VM, a C thread ran past `kill(getpid(), SIGSTOP)` in 27
  /// of 40 runs idle and 38 of 40 under load, and never past `raise(SIGSTOP)` (0 of 80). Here
  /// "runs on" meant into the next commit: the process froze holding SQLite's WAL write lock,
  /// and the consumer that claimed its entries could never commit them (issue 8,
  /// `frozenConsumerLateCommitChangesNothing`). A signal raised on the calling thread is acted on
  /// before the call returns.
  func crashPoint(_ name: String) {
    if faultFires(name) { raise(SIGKILL) }
    if !froze, faultFires("freeze-" + name) {
      // A process frozen inside a write transaction would hold SQLite's write lock, and no other
      // consumer could commit until it resumed: freeze only between transactions (the point is
      // to test a late commit, not a stuck lock). INVARIANT: this thread is the connections'
      // only user, and it stops inside `raise`, so none can open one while the process is
      // stopped.
      guard workers.values.allSatisfy({ $0.store.isBetweenTransactions }) else { return }
      froze = true
      logger.info("freezing (test fault injection)", metadata: ["point": "\(name)"])
      raise(SIGSTOP)
    }
  }
}

/// Why a partition's commit may be redone: nothing was committed, and another writer caused it.
enum CommitRetry {
  /// The fence found another writer's decisions: the cached state is stale.
  case fenced
  /// SQLite's lock was held by another connection past the busy timeout.
  case busy

  /// Attempts per batch before the consumer gives up (and stops with the error).
  static let maxAttempts = 10

  /// The retry `error` calls for, or nil when it is not one to retry.
  init?(_ error: any Error) {
    if error is StateFenceError {
      self = .fenced
    } else if let e = error as? StateStoreError, e.isBusy {
      self = .busy
    } else {
      return nil
    }
  }
}

extension Duration {
  /// Whole milliseconds.
  var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
  /// Seconds as a Double.
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
