// Redis commands whose replies are read later (the pipelined consumer, the default).
//
// Each Redis round trip used to hold the loop: the batch's read, its publication (the outbox
// script) and its acknowledgement each waited for redis-server to be scheduled, run the
// command and answer (the stop line's `redis_s`: 0.2–0.6 s of 1–2 s at load 4–7,
// docs/performance.md, session 13). Now the loop sends and reads the replies later, so that
// redis-server works while the loop decides:
//
//   read N+1 ─► [send: read N+2] ─► decide N+1 ─► settle N ─► [send: publish N, XACK N] ─► read N+2
//                                                                              (its reply, already there)
//
// - **The next read** (`prefetch`): after a read of new entries (`>`) that came back full, the
//   same read is sent at once, without BLOCK; the machine's next read of new entries takes its
//   entries (`takePrefetched`). Entries read ahead are delivered to this consumer (pending in
//   its name) like any others: a stop decides them first (`prefetchedOnStop`), a failure drops
//   them and they are read again as own pending entries.
// - **Publication and acknowledgement** (`sendPublication`): the batch's outbox script and its
//   XACK go out together; their replies are read before the next publication is sent, or before
//   any other command. Acknowledging before the script's reply is read is safe: an entry is
//   acknowledged only after its decision is committed in the outbox, and an outbox row stays
//   unpublished (re-published at start, the watermark making it a no-op when it was written)
//   until the script's reply confirms it — only then does the published mark ride in a commit.
//   One publication is outstanding at a time: were two out and the first refused, the second
//   would move the watermark past the first's rows.
//
// INVARIANT: `sent` lists the commands whose replies `redis` has not returned yet, in order
// (`redis.outstanding == sent.count` while connected). Any other command first reads them all
// (`receiveSent`); a failure while reading them closes the connection (`abandonSent`): a
// publication whose reply was not read is treated as not done (rows read back from SQLite), a
// read ahead is dropped.

import SentinelState

/// A command sent whose reply has not been read.
enum SentCommand {
  /// A read of new entries sent ahead (`prefetch`), with what was asked.
  case read(PrefetchKey)
  /// The outbox script for rows up to id `top`; `before`: `publishedThrough` before it.
  case publish(top: Int64, before: Int64)
  /// XACK of the entries of one or more streams.
  case acknowledge

  var isRead: Bool { if case .read = self { true } else { false } }
  var isPublication: Bool { if case .publish = self { true } else { false } }
}

/// What a read of new entries asked: the streams and the count.
struct PrefetchKey: Equatable {
  var streams: [String]
  var count: Int
}

extension ConsumerLoop {
  /// Whether replies may be read later: the pipelined consumer (`--no-pipeline` stays one round
  /// trip at a time, the sequential reference).
  var readsRepliesLater: Bool { committer != nil }

  /// Reads the reply of every command sent: entries read ahead are kept for the next read,
  /// publications and acknowledgements take effect. A failure closes the connection first.
  func receiveSent() throws {
    while !sent.isEmpty { try receiveOne() }
  }

  /// Reads replies up to and including the last publication sent (none left outstanding).
  func receiveThroughPublication() throws {
    guard let last = sent.lastIndex(where: \.isPublication) else { return }
    for _ in 0...last { try receiveOne() }
  }

  /// Reads the oldest reply outstanding.
  private func receiveOne() throws {
    // The command stays in `sent` until its reply is read: a failure while reading it leaves
    // it there for `abandonSent` (a publication whose reply was never read counts as not done;
    // `redisKilledUnderLoad` once lost rows when it was taken off first).
    guard let command = sent.first else { return }
    let t0 = clock.now
    defer { redisTime += clock.now - t0 }
    do {
      switch command {
      case .read(let key):
        let entries = try redis.receive("XREADGROUP") { (raw) throws(RedisError) in
          try StreamReplies.readGroup(raw: raw)
        }
        sent.removeFirst()
        prefetched = (key, entries)
      case .publish(let top, let before):
        let reply = try redis.receive("EVALSHA (outbox publication)")
        sent.removeFirst()
        if case .error(let m) = reply {
          // Not done: the rows are read back from SQLite and published again.
          forgetPublication(before: before)
          if m.hasPrefix("NOSCRIPT") {
            scriptSHA = nil
          } else {
            throw RedisError.server(command: "EVALSHA (outbox publication)", message: m)
          }
        } else {
          let added = Int(reply.integer ?? 0)
          consumer.metricsBox.withLock { $0.published += added }
          unmarkedThrough = top
          // The publication is in Redis now (a kill here leaves it there, as the sequential
          // consumer's crash point of the same name does).
          crashPoint("after-publish")
        }
      case .acknowledge:
        let reply = try redis.receive("XACK")
        sent.removeFirst()
        if case .error(let m) = reply { throw RedisError.server(command: "XACK", message: m) }
        lastAcknowledged = clock.now
        crashPoint("after-ack")
      }
    } catch {
      abandonSent()
      throw error
    }
  }

  /// Drops every command sent and not received: closes the connection when replies are
  /// outstanding (they would answer the next commands), treats a publication not confirmed as
  /// not done, and drops the entries read ahead (pending in Redis: read again as own pending
  /// entries after the failure).
  func abandonSent() {
    for case .publish(_, let before) in sent { forgetPublication(before: before) }
    if !sent.isEmpty || redis.outstanding > 0 { redis.close() }
    sent.removeAll()
    prefetched = nil
  }

  /// A publication not confirmed: the rows from `before` on are read back and published again
  /// by the next publication (the script's watermark skips what did reach Redis).
  private func forgetPublication(before: Int64) {
    publishedThrough = min(publishedThrough, before)
    heldIsComplete = false
    held.removeAll()
  }

  // MARK: The next read

  /// Sends the read of new entries `key` again, ahead of the machine asking for it (after a
  /// read that came back full: more entries are likely waiting).
  func prefetch(_ key: PrefetchKey) throws {
    guard readsRepliesLater, prefetched == nil, !consumer.stopFlag.load(ordering: .relaxed),
      !machine.isStopping
    else { return }
    if sent.contains(where: \.isRead) { return }
    try redis.send(
      readArguments(streams: key.streams, ids: key.streams.map { _ in ">" }, count: key.count, block: nil))
    sent.append(.read(key))
  }

  /// The entries read ahead for `key`, when a read was sent ahead and found some (its reply
  /// read now if needed); nil when the machine's read must be sent (nothing ahead, another
  /// read, or nothing found: the machine may want to BLOCK).
  func takePrefetched(_ key: PrefetchKey) throws -> [StreamEntry]? {
    if prefetched == nil, sent.contains(where: \.isRead) {
      while prefetched == nil, !sent.isEmpty { try receiveOne() }
    }
    guard let p = prefetched else { return nil }
    if p.entries.isEmpty {
      prefetched = nil
      return nil
    }
    // Entries read ahead for another read stay for theirs.
    guard p.key == key else { return nil }
    prefetched = nil
    return p.entries
  }

  /// When the machine stops: entries read ahead are delivered to this consumer, so the machine
  /// takes them as a read (decided, committed, published and acknowledged before the stop).
  func prefetchedOnStop() throws -> ConsumerStateMachine.Action? {
    try receiveSent()
    guard let p = prefetched else { return nil }
    prefetched = nil
    if p.entries.isEmpty { return nil }
    return machine.entriesRead(p.entries, readStreams: p.key.streams, now: now)
  }

  // MARK: Publication and acknowledgement

  /// Sends the held rows' publication and the acknowledgements without waiting for the replies
  /// (read before the next publication or any other command). False when this cannot be done
  /// now — the rows must be read back, or the script is not loaded — and the caller publishes
  /// one round trip at a time.
  func sendPublication(_ acknowledgements: [String: [String]]) throws -> Bool {
    guard readsRepliesLater else { return false }
    // One publication outstanding at a time (see the file comment).
    try receiveThroughPublication()
    guard heldIsComplete, let sha = scriptSHA else { return false }
    for (n, chunk) in held.chunks(of: Self.publicationChunk).enumerated() {
      guard let top = chunk.lastID else { continue }
      if n > 0 { try receiveThroughPublication() }
      let before = publishedThrough
      if faultFires("lose-publication") {
        // Test-only: the connection breaks before Redis reads this publication (it is in
        // `sent`, as if its bytes had been written; its reply never comes).
        publishedThrough = top
        sent.append(.publish(top: top, before: before))
        redis.close()
        throw RedisError.connectionLost(
          endpoint: "\(config.endpoint)", command: "EVALSHA (outbox publication)",
          reason: "test fault lose-publication")
      }
      try redis.send(publicationArguments(chunk, sha: sha))
      publishedThrough = top
      sent.append(.publish(top: top, before: before))
    }
    held.removeAll()
    for a in acknowledgementArguments(acknowledgements) {
      try redis.send(a)
      sent.append(.acknowledge)
    }
    return true
  }
}

// MARK: - Rows held for publication

/// Outbox rows to publish: a run of rows with consecutive ids from `first` (a commit's rows, as
/// it handed them over), or rows carrying their own ids (`first` nil: read back from SQLite).
struct OutboxPiece {
  var rows: ArraySlice<OutboxRecord>
  var first: Int64?

  /// The id of row `k` of the piece (0-based).
  @inline(__always)
  func id(_ k: Int) -> Int64 {
    if let first { return first + Int64(k) }
    return rows[rows.startIndex + k].id
  }
}

/// The outbox rows commits wrote and the loop has not written to Redis yet, in id order: each
/// commit's rows kept as the commit's batch holds them, with the id of its first row (ids are
/// consecutive within a commit) — not copied one by one to set their ids (each copy retained
/// the row's strings: ~9 % of the loop's CPU, docs/performance.md, session 13).
struct HeldRows {
  private(set) var pieces: [OutboxPiece] = []

  /// The id of the last row, if any.
  var lastID: Int64? { pieces.lastID }

  /// Adds a commit's rows, whose ids run from `first`.
  mutating func append(_ rows: [OutboxRecord], first: Int64) {
    guard !rows.isEmpty else { return }
    pieces.append(OutboxPiece(rows: rows[...], first: first))
  }

  mutating func removeAll() { pieces.removeAll(keepingCapacity: true) }

  /// The rows in chunks of at most `limit` rows, in order: each chunk as pieces.
  func chunks(of limit: Int) -> [[OutboxPiece]] {
    var out: [[OutboxPiece]] = []
    var chunk: [OutboxPiece] = []
    var inChunk = 0
    for p in pieces {
      var rest = p
      while !rest.rows.isEmpty {
        let take = min(limit - inChunk, rest.rows.count)
        let end = rest.rows.startIndex + take
        chunk.append(OutboxPiece(rows: rest.rows[..<end], first: rest.first))
        inChunk += take
        rest = OutboxPiece(rows: rest.rows[end...], first: rest.first.map { $0 + Int64(take) })
        if inChunk == limit {
          out.append(chunk)
          chunk = []
          inChunk = 0
        }
      }
    }
    if !chunk.isEmpty { out.append(chunk) }
    return out
  }
}

extension [OutboxPiece] {
  /// The id of the last row of the last piece.
  var lastID: Int64? {
    guard let p = last, !p.rows.isEmpty else { return nil }
    return p.id(p.rows.count - 1)
  }

  /// The number of rows.
  var rowCount: Int { reduce(0) { $0 + $1.rows.count } }
}
