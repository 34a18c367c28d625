// `sentinel replay --rules PATH EVENTS.jsonl`: decides a corpus of events in order, with state,
// and writes one line per input line (REFERENCE_RULES.md's decision and error lines).

import ArgumentParser
import CMallocCounter
import Foundation
import SentinelModel
import SentinelRuntime
import SentinelState
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Replays a corpus of events through a rule set.
public struct ReplayCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract: "Decide a corpus of events in order, with state; one output line per input line.",
    discussion: """
      Reads JSON events, one per line (EVENTS.jsonl, or - for standard input), decides each in
      order with the rule set, and writes one line per input line to standard output (or -o):
        {"event_id":…,"action":"allow|review|block","score":N,"rules":[…]}  a decision
        {"event_id":…,"error":"…"}   a rejected event ({"error":…} when it has no string id)
      Blank lines produce no output. An event id already decided gets its original decision line
      again and changes no state; a rejected event changes nothing.

      State (aggregates, decisions, processed event ids) is kept in memory by default. With
      --state FILE.db it is kept in SQLite (WAL, synchronous=FULL) and committed in batches
      (--batch): state changes, decisions and event ids of a batch in one transaction, and no
      line of a batch is written before its transaction is durable. A batch's commit runs on a
      thread of its own while the next batch is decided (while it runs, the batches decided
      meanwhile join the next transaction, up to 8 × --batch events), its links are computed on
      another, and lines are decoded on a third up to 256 lines ahead (in memory,
      the aggregates' keys, filters and values are computed there too; --no-state-ahead: on the
      deciding thread; --no-pipeline: everything one after the other, on one thread; the output
      is the same). After a crash, run the same
      command again: events already decided get their original lines back and are not counted
      twice, so the output is the same as an uninterrupted run's.

      On a terminal, progress is shown on standard error; a summary (events/s, each thread's
      CPU time and heap allocations per line, counts by action and by rule) is always written
      there at the end (--quiet to skip it). With the pipeline, a thread that finds nothing to do spins for up to 100 µs
      before it sleeps; the summary says how much of the deciding and decoding threads' CPU time
      that was ("spinning").

      Examples:
        sentinel replay --rules rules/ fixtures/reference-corpus/events.jsonl > decisions.jsonl
        sentinel replay --rules rules.sbc --state state.db events.jsonl -o decisions.jsonl
      """)

  @Option(help: "Rule files or directories, or a compiled bundle (.sbc).")
  var rules: [String]

  @Argument(help: "The events, one JSON object per line; - for standard input.")
  var events: String

  @Option(name: .shortAndLong, help: "Write decisions here instead of standard output.")
  var output: String?

  @Option(help: ArgumentHelp("Keep state in this SQLite database.", valueName: "file.db"))
  var state: String?

  @Option(help: "Events per commit (group commit; with the pipeline, up to 8 × this while a commit runs).")
  var batch = 1000

  @Option(
    help: ArgumentHelp(
      "With --state: decisions committed between two folds of the event-id index and the states "
        + "into their key-ordered tables (more: fewer pages written, more memory for the tail).",
      valueName: "decisions"))
  var foldEvery = SQLiteStateStore.defaultFoldEvery

  @Option(
    name: .customLong("cache-keys"),
    help:
      "Keep the aggregate states of at most about this many keys in memory (others are read back from the store)."
  )
  var cacheKeys = EventProcessor.defaultCacheCapacity

  @Option(help: "The tenant the state belongs to.")
  var tenant = "default"

  @Flag(help: "No progress and no summary on standard error.")
  var quiet = false

  @Flag(
    inversion: .prefixedNo,
    help:
      "Decode lines on a thread of their own ahead of deciding them, and with --state commit each batch on another while the next one is decided (the output is the same)."
  )
  var pipeline = true

  // NOTE: in memory only, and on by default there: the deciding thread bounds the throughput
  // when a core is free; with none free, the decoding thread's extra work (the process's CPU is
  // higher) can make the run slower. With --state the commit and linking threads need that core:
  // computed ahead, the SQLite replay was ~10 % slower (docs/performance.md, "session 12").
  @Flag(
    inversion: .prefixedNo,
    help:
      "With the pipeline and the state in memory, compute the aggregates' keys, filters and values on the decoding thread when they read only the event's fields (the output is the same)."
  )
  var stateAhead = true

  public init() {}

  public func validate() throws {
    guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    guard foldEvery >= 1 else { throw ValidationError("--fold-every must be at least 1") }
    guard cacheKeys >= 1 else { throw ValidationError("--cache-keys must be at least 1") }
  }

  public func run() throws {
    // NOTE: the heaps grow 64 MiB at a time, not by what each allocation needs: a replay keeps
    // what it decodes (records, states), and the decoding thread's arena grew ~3,400 times per
    // 104,125 lines, each growth an `mprotect` call under the arena's lock, which the deciding
    // thread's frees then waited for (`strace -f -c`: 3,433 `mprotect` calls, 39 with the pad;
    // docs/performance.md, "s18: the heaps' growth and the threads' waits").
    _ = sentinel_pad_heap_growth(64 << 20)
    let bundle = try loadRuleSet(rules)
    let store: any StateStore & Sendable
    if let state {
      do {
        store = try SQLiteStateStore(path: state, tenant: tenant, foldEvery: foldEvery)
      } catch {
        printError("\(state): \(error)")
        throw ExitCode(1)
      }
    } else {
      // Its one writer is this replay's processor, which checks every event id before deciding
      // the event: the store need not (InMemoryStateStore.swift).
      store = InMemoryStateStore(tenant: tenant, writerChecksEventIDs: true)
    }
    let input =
      try events == "-" ? [UInt8](FileHandle.standardInput.readDataToEndOfFile()) : readFileBytes(events)
    var out = OutputBuffer(fd: 1)
    if let output {
      let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      guard fd >= 0 else { throw ValidationError("cannot write `\(output)`") }
      out = OutputBuffer(fd: fd)
    }
    // In memory, the states stay in the processor's cache (nothing else reads the store): a
    // commit writes the decisions only (EventProcessor's `writeBack`).
    let processor = EventProcessor(
      bundle: bundle, store: store, cacheCapacity: cacheKeys, writeBack: state == nil)
    // In memory, each decision's line is written straight into the output from the decision, and
    // its record renders it only for a duplicate (docs/performance.md, "s17: the decision line
    // written once").
    processor.rendersLines = state != nil
    var summary = ReplaySummary(rules: bundle.bundle.rules.map(\.id))
    let progress = !quiet && isatty(2) == 1
    let start = Date()
    var pending: [String] = []
    pending.reserveCapacity(batch)
    // Read once: an option's property wrapper is not free to read once per line.
    let batchSize = batch
    let groupLimit = batch * 8
    // With the pipeline, a batch's lines wait here while its commit runs on the commit thread,
    // and are written once it returned: no line is ever written before its decision is durable.
    // In memory a commit is a few copies into the store: handing it to another thread cost more
    // than it saved (docs/performance.md, "Replay: commits on a second thread").
    let committer =
      pipeline && state != nil
      ? BackgroundCommit(
        delay: Double(ProcessInfo.processInfo.environment["SENTINEL_REPLAY_SLOW_COMMIT"] ?? "") ?? 0)
      : nil
    // With the pipeline, each batch's audit-chain links are computed on a thread of their own
    // while the commit before it runs (SQLiteStateStore+Prelink.swift), and its commit waits
    // for them: the deciding thread goes on deciding meanwhile.
    let linker =
      try committer == nil ? nil : (store as? SQLiteStateStore).map { try BackgroundLinker(store: $0) }
    var committing: [String] = []
    committing.reserveCapacity(batch)
    // The last input line of the batch being committed, and of the one that failed (messages).
    var committingThrough = 0
    var failedThrough = 0
    var lineNumber = 0
    // Transactions started (the summary: with group commit, fewer than decisions / --batch).
    var commits = 0

    /// Waits for the commit in flight, if any, then writes its lines.
    func settle() throws {
      guard let committer, committer.isBusy else { return }
      do {
        try committer.wait()
      } catch {
        processor.commitFailed()
        failedThrough = committingThrough
        throw error
      }
      processor.commitSucceeded()
      for l in committing { out.write(l) }
      committing.removeAll(keepingCapacity: true)
    }
    /// Commits the decisions made since the last commit; their lines, and those of the rejected
    /// and duplicate lines among them, are written once it returned. `wait`: before returning.
    func flush(wait: Bool) throws {
      failedThrough = lineNumber
      guard let committer else {
        if processor.pendingCount > 0 { commits += 1 }
        try processor.commit()
        // The batch's lines, held in the output buffer until now (`decided`).
        out.release()
        return
      }
      // One commit in flight at a time (the audit chain links decisions in commit order).
      var links: PendingLinks?
      if let linker, processor.pendingCount > 0 {
        if committer.isBusy == false { linker.readTipIfUnknown() }
        links = linker.link(processor.pendingDecisions)
      }
      try settle()
      if let taken = processor.takeCommit() {
        swap(&committing, &pending)
        committingThrough = lineNumber
        commits += 1
        committer.start(taken, on: store, links: links)
        if wait { try settle() }
      } else {
        // Only rejected or duplicate lines: nothing to make durable.
        for l in pending { out.write(l) }
        pending.removeAll(keepingCapacity: true)
      }
    }
    var lastProgress = start
    // Lines are cut from the input bytes in place (no String per line before decoding).
    // By `memchr`: a loop over the bytes was ~8 ms of the 104,125-line corpus's ~0.3 s.
    var bounds: [Range<Int>] = []
    var from = 0
    input.withUnsafeBytes { all in
      guard let base = all.baseAddress else { return }
      while from < all.count, let hit = memchr(base + from, 10, all.count - from) {
        let i = base.distance(to: UnsafeRawPointer(hit))
        bounds.append(from..<i)
        from = i + 1
      }
    }
    if from < input.count { bounds.append(from..<input.count) }
    let lineCount = bounds.count
    /// Fails the run on a store error while deciding line `n`.
    func storeFailed(_ n: Int, _ error: any Error) -> ExitCode {
      printError("state store failed at line \(n + 1): \(error)")
      // The lines of a commit in flight are written if it succeeds: they are durable.
      try? settle()
      out.flush()
      return ExitCode(1)
    }
    /// Counts and writes line `n`'s result, commits a full batch, shows progress.
    func decided(_ n: Int, _ result: ProcessedLine) throws {
      lineNumber = n + 1
      summary.count(result)
      // Without a commit thread, the line goes straight into the output buffer, held there until
      // its commit returned (`flush`): no array of the batch's lines, no second pass over them.
      if case .decided(let d, let l) = result, l.isEmpty {
        // Made without its line (`rendersLines` off): its bytes go straight into the buffer.
        out.hold(d)
      } else if let l = result.line {
        if committer == nil { out.hold(l) } else { pending.append(l) }
      }
      // Group commit: while the commit in flight runs, the batches decided meanwhile wait and
      // join the next transaction (up to 8 batches): deciding never waits for the disk while
      // there is something to decide, and a slow fsync is paid once for several batches.
      if processor.pendingCount >= batchSize,
        committer?.isRunning != true || processor.pendingCount >= groupLimit
      {
        do { try flush(wait: false) } catch {
          printError("commit of the lines through \(failedThrough) failed: \(error)")
          out.flush()
          throw ExitCode(1)
        }
      }
      if progress && n % 4096 == 0 {
        let now = Date()
        if now.timeIntervalSince(lastProgress) > 0.25 {
          lastProgress = now
          let rate = Double(n + 1) / max(now.timeIntervalSince(start), 1e-9)
          FileStream.standardError.write(
            "\r\(n + 1)/\(lineCount) lines, \(Int(rate)) events/s   ")
        }
      }
    }
    let cpuAtStart = threadCPUSeconds()
    let allocationsAtStart = sentinel_thread_allocations()
    var decodingCPU: (total: Double, spinning: Double, allocations: UInt64)?
    // The part of the deciding thread's CPU time it spent spinning for the next batch.
    var decidingSpin: Double?
    if pipeline {
      // Lines are decoded on a thread of their own, up to 4 batches ahead (DecodeAhead.swift).
      // In memory, the state program runs there too when it reads only the event's fields
      // (EventProcessor+Prepare.swift).
      // In memory, it also tells which event ids it sees for the first time (those need no
      // duplicate lookup on the deciding thread).
      let preparer: LinePreparer
      do {
        preparer = try processor.makePreparer(
          stateAhead: stateAhead && state == nil, tracksEventIDs: state == nil)
      } catch {
        throw storeFailed(0, error)
      }
      let ahead = DecodeAhead(
        input: input, bounds: bounds, decoder: processor.eventDecoder, preparer: preparer)
      defer { ahead.cancel() }
      while let batch = ahead.next() {
        for j in 0..<batch.count {
          let n = batch.first + j
          let result: ProcessedLine
          // Moved out of the batch, not copied (a copy retained its strings once more).
          var prepared = PreparedLine.blank
          swap(&prepared, &batch.prepared[j])
          do {
            result = try processor.process(
              prepared: prepared, slots: &batch.slots[j], stateResults: &batch.stateResults[j])
          } catch {
            throw storeFailed(n, error)
          }
          try decided(n, result)
        }
        ahead.release(batch)
      }
      // Every line was taken, so the decoding thread is done (or about to be).
      decodingCPU = ahead.decodingCPUSeconds()
      decidingSpin = ahead.callerSpinSeconds()
    } else {
      for (n, range) in bounds.enumerated() {
        let result: ProcessedLine
        do {
          result = try input.withUnsafeBufferPointer { all in
            try processor.process(bytes: UnsafeBufferPointer(rebasing: all[range]))
          }
        } catch {
          throw storeFailed(n, error)
        }
        try decided(n, result)
      }
    }
    let decidingCPU = threadCPUSeconds() - cpuAtStart
    let decidingAllocations = UInt64(sentinel_thread_allocations() &- allocationsAtStart)
    do { try flush(wait: true) } catch {
      printError("commit of the lines through \(failedThrough) failed: \(error)")
      out.flush()
      throw ExitCode(1)
    }
    out.flush()
    if output != nil { close(out.fd) }
    if progress { FileStream.standardError.write("\r\u{1B}[K") }
    if !quiet {
      // With the pipeline, each thread's figure is followed by the part of it spent spinning,
      // waiting for the other (DecodeAhead.spin): what is left is its work.
      func cpu(_ total: Double, spinning: Double?) -> String {
        guard let spinning else { return String(format: "%.3f s", total) }
        return String(format: "%.3f s (spinning %.3f s)", total, spinning)
      }
      var threads = [("deciding", cpu(decidingCPU, spinning: decidingSpin))]
      if let decodingCPU {
        threads.append(("decoding", cpu(decodingCPU.total, spinning: decodingCPU.spinning)))
      }
      if let t = linker?.time.seconds { threads.append(("linking", String(format: "%.3f s", t.cpu))) }
      if let t = committer?.time.seconds {
        threads.append(("committing", String(format: "%.3f s (%.3f s with the disk's waits)", t.cpu, t.busy)))
      }
      // Heap allocations per input line by the deciding and decoding threads (the malloc
      // interposer, CMallocCounter: absent where it is not in effect).
      var allocations: [(String, UInt64)] = []
      if sentinel_allocation_counting() != 0 {
        allocations.append(("deciding", decidingAllocations))
        if let decodingCPU { allocations.append(("decoding", decodingCPU.allocations)) }
      }
      printError(
        summary.render(
          elapsed: Date().timeIntervalSince(start), storage: state ?? "memory", threadCPU: threads,
          allocations: allocations, commits: state == nil ? nil : commits))
    }
  }
}

/// Runs one state-store commit at a time on a thread of its own (`replay`'s pipeline): the
/// caller goes on deciding the next batch meanwhile, and settles the commit with `wait` before it
/// starts another or writes the batch's lines.
final class BackgroundCommit: Sendable {
  private let queue = DispatchQueue(label: "sentinel.replay.commit", qos: .userInitiated)
  private let done = DispatchSemaphore(value: 0)
  private let state = Mutex<(busy: Bool, error: (any Error)?)>((false, nil))
  /// Whether the commit started last has not returned yet.
  private let running = Atomic<Bool>(false)
  /// The commits' CPU time on the commit thread so far, and their time including the waits for
  /// the disk (the summary).
  let time = WorkTime()
  /// Test-only: seconds each commit is held back (`SENTINEL_REPLAY_SLOW_COMMIT`: a slow disk).
  private let delay: Double

  init(delay: Double = 0) { self.delay = delay }

  /// Whether a commit was started and not yet waited for.
  var isBusy: Bool { state.withLock { $0.busy } }

  /// Whether the commit started last is still running (it has not returned: `wait` would wait).
  var isRunning: Bool { running.load(ordering: .acquiring) }

  /// Starts committing `batch` to `store` on the commit thread (none may be in flight), with
  /// its audit-chain links once `links` has them (`BackgroundLinker`).
  func start(_ batch: StateBatch, on store: any StateStore & Sendable, links: PendingLinks? = nil) {
    state.withLock { $0 = (true, nil) }
    running.store(true, ordering: .releasing)
    queue.async { [self] in
      var batch = batch
      if delay > 0 { Thread.sleep(forTimeInterval: delay) }
      // Not timed: the linking thread's work, not this one's.
      if let links { batch.prelinked = links.wait() }
      time.measure {
        do {
          try store.commit(batch)
        } catch {
          state.withLock { $0.error = error }
        }
      }
      running.store(false, ordering: .releasing)
      done.signal()
    }
  }

  /// Waits until the commit started last returned; throws its error if it failed.
  func wait() throws {
    done.wait()
    let error = state.withLock { s in
      defer { s = (false, nil) }
      return s.error
    }
    if let error { throw error }
  }
}

/// Computes each batch's audit-chain links (`SQLiteStateStore.prelink`) on a thread of its own:
/// the deciding thread hands a batch's decisions over before it waits for the commit in flight,
/// and the batch's commit waits for its links (`PendingLinks`). They follow where the chain will
/// stand after the batch before; a commit that finds the chain elsewhere (another writer) links
/// its batch itself. The links were ~8 % of the deciding thread's CPU (docs/performance.md,
/// "Hashed event-id keys").
final class BackgroundLinker: Sendable {
  private let queue = DispatchQueue(label: "sentinel.replay.link", qos: .userInitiated)
  private let store: SQLiteStateStore
  /// Where the chain stands after the last batch handed over; nil when unknown (a link failed).
  private let tip: Mutex<ChainTip?>
  /// The linking thread's CPU time (the summary).
  let time = WorkTime()

  /// Reads the chain's head now (no commit may be in flight).
  init(store: SQLiteStateStore) throws {
    self.store = store
    tip = Mutex(try store.chainTip())
  }

  /// Reads the head again when a link failed (call it with no commit or link in flight).
  func readTipIfUnknown() {
    guard tip.withLock({ $0 == nil }) else { return }
    let now = try? store.chainTip()
    tip.withLock { $0 = now }
  }

  /// Starts linking `decisions` after the batches handed over before.
  func link(_ decisions: [DecisionRecord]) -> PendingLinks {
    let pending = PendingLinks()
    queue.async { [self] in
      let start = tip.withLock { $0 }
      // Nil on a failure (a malformed head): the commit links the batch and reports it.
      let links = time.measure { start.flatMap { try? store.prelink(decisions, after: $0) } }
      tip.withLock { $0 = links?.end }
      pending.fulfil(links)
    }
    return pending
  }
}

/// A batch's links, once `BackgroundLinker` computed them (nil: the commit links the batch).
final class PendingLinks: Sendable {
  private let ready = DispatchSemaphore(value: 0)
  private let links = Mutex<PrelinkedChain?>(nil)

  func fulfil(_ value: PrelinkedChain?) {
    links.withLock { $0 = value }
    ready.signal()
  }

  /// Waits until the links are computed.
  func wait() -> PrelinkedChain? {
    ready.wait()
    ready.signal()
    return links.withLock { $0 }
  }
}

/// Counts for the replay summary.
struct ReplaySummary {
  var lines = 0
  var decided = 0
  var duplicates = 0
  var rejected = 0
  /// Decisions by action, in `DecisionAction` order (an array: a dictionary keyed by the
  /// action's name hashed it once per decision).
  var actions = [0, 0, 0, 0]
  var byRule: [String: Int] = [:]
  let rules: [String]

  /// The number of decisions with `action`.
  func count(of action: DecisionAction) -> Int { actions[Self.index(of: action)] }

  /// `action`'s place in `actions`.
  static func index(of action: DecisionAction) -> Int {
    switch action {
    case .allow: return 0
    case .challenge: return 1
    case .review: return 2
    case .block: return 3
    }
  }

  init(rules: [String]) { self.rules = rules }

  mutating func count(_ r: ProcessedLine) {
    switch r {
    case .decided(let d, _):
      lines += 1
      decided += 1
      actions[Self.index(of: d.action)] += 1
      for m in d.matched { byRule[m.id, default: 0] += 1 }
    case .duplicate:
      lines += 1
      duplicates += 1
    case .rejected:
      lines += 1
      rejected += 1
    case .blank: break
    }
  }

  /// The summary; `threadCPU`: each thread's CPU time, by its part of the work (the one with the
  /// most is what limits the rate on a machine with a core per thread); `allocations`: each
  /// thread's heap allocations, shown per line.
  func render(
    elapsed: Double, storage: String, threadCPU: [(String, String)] = [],
    allocations: [(String, UInt64)] = [], commits: Int? = nil
  ) -> String {
    let rate = Double(lines) / max(elapsed, 1e-9)
    var out = "replayed \(lines) lines in \(String(format: "%.3f", elapsed)) s"
    out += " (\(Int(rate)) events/s, state: \(storage))\n"
    if !threadCPU.isEmpty {
      out +=
        "  CPU by thread: "
        + threadCPU.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "\n"
    }
    if !allocations.isEmpty {
      let perLine = { (n: UInt64) in String(format: "%.2f", Double(n) / Double(max(lines, 1))) }
      out +=
        "  heap allocations per line: "
        + allocations.map { "\($0.0) \(perLine($0.1))" }.joined(separator: ", ") + "\n"
    }
    out += "  decided \(decided), duplicates \(duplicates), rejected \(rejected)\n"
    if let commits { out += "  committed in \(commits) transactions\n" }
    out +=
      "  by action: "
      + [DecisionAction.allow, .challenge, .review, .block].map { "\($0.rawValue) \(count(of: $0))" }
      .joined(separator: ", ") + "\n"
    out += "  by rule:"
    for id in rules.sorted() {
      out += "\n    \(id.padding(toLength: 28, withPad: " ", startingAt: 0)) \(byRule[id] ?? 0)"
    }
    return out
  }
}

/// A buffered writer to a file descriptor. Full buffers are written by a thread of its own, in
/// order (the `write` system calls were ~4 % of an in-memory replay's deciding thread;
/// docs/performance.md, "the work split anew between the two threads"); `flush` hands over what is
/// buffered and waits until everything was written.
struct OutputBuffer {
  let fd: Int32
  var buffer: [UInt8] = []
  /// The number of bytes at the end of `buffer` held back (`hold`) until `release`.
  private(set) var held = 0
  private let writer = DispatchQueue(label: "sentinel.replay.output")
  private static let capacity = 1 << 16
  /// The capacity a new buffer is made with: the largest a buffer grew to (a batch's held lines
  /// beyond `capacity`), so that appends do not reallocate it again.
  private var reserve = OutputBuffer.capacity

  init(fd: Int32) {
    self.fd = fd
    buffer.reserveCapacity(Self.capacity)
  }

  /// Appends a line to be written. No line may be held (`hold`).
  mutating func write(_ line: String) {
    assert(held == 0, "a line written after held ones")
    buffer.append(contentsOf: line.utf8)
    buffer.append(10)
    if buffer.count >= Self.capacity { handOver() }
  }

  /// Appends a line that is not written before `release` (its decision is not committed yet).
  mutating func hold(_ line: String) {
    let before = buffer.count
    buffer.append(contentsOf: line.utf8)
    buffer.append(10)
    held &+= buffer.count &- before
  }

  /// Appends a decision's line (`DecisionLine`, as `hold(decision.jsonLine)` would), held.
  mutating func hold(_ decision: Decision) {
    let before = buffer.count
    DecisionLine.append(
      eventID: decision.eventID, action: decision.action.rawValue, score: decision.score,
      rules: decision.ruleIDs, to: &buffer)
    buffer.append(10)
    held &+= buffer.count &- before
  }

  /// The held lines may be written.
  mutating func release() {
    held = 0
    if buffer.count >= Self.capacity { handOver() }
  }

  /// Writes what is buffered and not held — held lines are dropped (their commit failed or
  /// never came) —, and waits until every buffer handed over was written.
  mutating func flush() {
    if held > 0 {
      buffer.removeLast(held)
      held = 0
    }
    handOver()
    writer.sync {}
  }

  /// Hands the buffer (nothing held) to the writing thread; a new one takes its place.
  private mutating func handOver() {
    guard !buffer.isEmpty else { return }
    reserve = max(reserve, buffer.capacity)
    let full = buffer
    buffer = []
    buffer.reserveCapacity(reserve)
    writer.async { [fd] in Self.writeAll(full, to: fd) }
  }

  private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
    var start = 0
    while start < bytes.count {
      let n = bytes[start...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      start += n
    }
  }
}
