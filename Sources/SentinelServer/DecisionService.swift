// The daemon's decision path: one actor owns the `EventProcessor` (which is not Sendable: only
// this actor touches it) and commits with group commit.
//
//   request ─► inbox ─► process (in arrival order on the actor) ─► pending decision
//           ─► wait for the commit that holds it (CommitSchedule: N pending or a short delay;
//              while a commit is in flight, the next one starts when it returns)
//           ─► answer (only after the commit returned: a 200 is durable)
//
// The commit — one transaction and its fsync — runs on a thread of its own (`CommitThread`), not
// on the actor: deciding goes on meanwhile, and what is decided during one commit forms the next
// group. One commit is in flight at a time (the audit chain links decisions in commit order).
//
// Hand-off (`POST /v1/decisions`): a request does not hop onto the actor and back. It puts its
// event and its continuation in the inbox (`DecisionInbox`, a lock) and suspends once; one actor
// job decides everything the inbox holds, in arrival order, and a new decision's continuation
// joins the group of the next commit. As soon as the transaction returned, the commit thread
// records it (commit metrics and a failure first) and hands the whole group to one job on the
// pool, which resumes them; the actor settles the commit (`settleCommit`: the processor, the
// schedule, the next commit). So each request is suspended and resumed once, and never runs on
// the actor.
//
// A rejected event is answered at once (it changes nothing). A duplicate event id gets its
// original decision; when that original may still be pending, the duplicate waits for the
// commit too, so that no answer ever shows an uncommitted decision.
//
// Hot swap (`install`): on the actor, between two events. The decisions already made by the old
// bundle are committed first (their requests are answered with the old bundle's reasons and
// digest), then a new processor for the new bundle starts from the committed state (and the
// stored run-time lists it declares). A request is decided wholly by one bundle: never by a
// half-installed one.
//
// Run-time lists (`changeRuntimeList`, DecisionService+Lists.swift): stored first, then set in
// the processor on the actor, between two events.

public import Logging
public import SentinelRuntime
public import SentinelState
import Foundation
import Synchronization

/// What deciding one event gave, once it is safe to answer.
public enum DecisionOutcome: Sendable {
  /// A new decision, committed. `line` is `sentinel replay`'s decision line.
  case decided(Decision, line: String, evaluationMicros: Int)
  /// An event id already decided: its original decision line, committed.
  case duplicate(eventID: String, line: String, evaluationMicros: Int)
  /// A rejected event: its error line (`{"event_id"?, "error"}`).
  case rejected(line: String)
  /// The body held no event (only white space).
  case empty
  /// The state store failed; the message says how. Nothing about this event is acknowledged.
  case storeFailed(String)
}

/// Tuning of the decision service.
public struct DecisionServiceOptions: Sendable {
  /// Commit as soon as this many decisions are pending.
  public var maxPending: Int
  /// Commit at most this long after the first pending decision when no commit is in flight
  /// (zero: at once).
  public var commitDelay: Duration

  /// Options: commit at `maxPending` decisions or after `commitDelay`, whichever comes first.
  public init(maxPending: Int = 256, commitDelay: Duration = .zero) {
    self.maxPending = maxPending
    self.commitDelay = commitDelay
  }
}

/// Decides events for one tenant with its active bundle, making each decision durable before it
/// is returned (group commit). `TenantRegistry` drains it on graceful shutdown (after the HTTP
/// server, which shuts down first, has finished its in-flight requests).
public actor DecisionService {
  /// The bundle events are decided with now.
  public private(set) var bundle: LoadedBundle
  /// When and how the active bundle was installed (`GET /v1/bundle`).
  private(set) var installation: BundleInstallation
  var processor: EventProcessor
  var json: DecisionJSON
  let store: SQLiteStateStore
  let options: DecisionServiceOptions
  let logger: Logger
  /// Commit counts, group sizes and durations go here (`GET /metrics`), when set.
  let metrics: ServerMetrics?
  var schedule: CommitSchedule
  /// Requests waiting for the next commit (the one after the commit in flight, if any).
  var waiters: [CommitWaiter] = []
  /// Events handed over by requests, not decided yet (`decideRendering(_:)`).
  nonisolated let inbox = DecisionInbox()
  /// Callers waiting for no commit to be in flight (hot swap, shutdown).
  var idleWaiters: [CheckedContinuation<Void, Never>] = []
  /// Set while a caller woken by `untilNoCommitInFlight` has not run yet: no commit starts.
  var holdCommits = false
  /// Where commits run, off the actor.
  let committer = CommitThread()
  /// The last commit failure, until a commit succeeds (`/readyz` reports it). Set on the commit
  /// thread before the failed group is answered.
  nonisolated let failure = CommitFailure()
  var lastFailure: String? { failure.message }
  /// Decisions made and committed since start, and commits (for the shutdown log line).
  var committedDecisions = 0
  var commits = 0
  /// Where each run-time list of the active bundle got its value (`GET /v1/lists/{name}`).
  var activeLists: [String: ActiveList] = [:]

  /// A service deciding with `bundle`, keeping state in `store` (whose tenant it serves).
  /// `origin` says where the bundle came from (`GET /v1/bundle`).
  public init(
    bundle: LoadedBundle, store: SQLiteStateStore, options: DecisionServiceOptions = .init(),
    origin: String = "start-up", logger: Logger = Logger(label: "sentinel.decisions"),
    metrics: ServerMetrics? = nil
  ) {
    self.bundle = bundle
    self.metrics = metrics
    installation = BundleInstallation(origin: origin, at: Date())
    json = DecisionJSON(bundle: bundle)
    self.store = store
    self.options = options
    self.logger = logger
    // Stored run-time lists override the bundle's defaults (DecisionService+Lists.swift).
    let lists = Self.startingLists(for: bundle, store: store, logger: logger)
    processor = EventProcessor(bundle: bundle, store: store, lists: lists.values)
    activeLists = lists.active
    schedule = CommitSchedule(maxPending: options.maxPending, immediate: options.commitDelay <= .zero)
  }

  // MARK: - Deciding

  /// Decides one event (JSON bytes) and returns once the decision is durable.
  public nonisolated func decide(_ event: [UInt8]) async -> DecisionOutcome { await decideRendering(event).0 }

  /// Decides events in order and returns once every decision is durable (one wait for all).
  public func decide(batch events: [[UInt8]]) async -> [DecisionOutcome] {
    await decideRendering(batch: events).0
  }

  /// `decide`, with the renderer of the bundle that decided (the active one may change while
  /// the request waits for its commit). The event goes through the inbox: the caller suspends
  /// once, and is resumed by whoever answers it (the actor, or the commit thread).
  nonisolated func decideRendering(_ event: [UInt8]) async -> (DecisionOutcome, DecisionJSON) {
    await withCheckedContinuation { (reply: CheckedContinuation<(DecisionOutcome, DecisionJSON), Never>) in
      if inbox.add(event, reply) {
        Task { await self.decideInbox() }
      }
    }
  }

  /// Decides every event in the inbox, in arrival order: answers those that need no commit at
  /// once, and puts the others in the next commit's group (one schedule step for all of them).
  func decideInbox() {
    var armTimer = false
    var commitNow = false
    for submission in inbox.take() {
      let renderer = json
      let outcome = evaluate(submission.event)
      guard needsCommit(outcome) else {
        submission.reply.resume(returning: (outcome, renderer))
        continue
      }
      waiters.append(.decision(submission.reply, outcome, renderer))
      switch schedule.requestWaits(pending: processor.pendingCount) {
      case .none: break
      case .armTimer: armTimer = true
      case .commit: commitNow = true
      }
    }
    if armTimer { perform(.armTimer) }
    if commitNow { perform(.commit) }
  }

  /// `decide(batch:)`, with the renderer of the bundle that decided every event of the batch.
  func decideRendering(batch events: [[UInt8]]) async -> ([DecisionOutcome], DecisionJSON) {
    let renderer = json
    let outcomes = events.map { evaluate($0) }
    guard outcomes.contains(where: needsCommit) else { return (outcomes, renderer) }
    if let failure = await waitForCommit() {
      return (outcomes.map { needsCommit($0) ? .storeFailed(failure) : $0 }, renderer)
    }
    return (outcomes, renderer)
  }

  // MARK: - Hot swap

  /// Makes `new` the active bundle: commits what the old bundle decided, stores `bytes` (when
  /// given) as the tenant's bundle, then decides every later event with `new`. Returns nil on
  /// success, else why nothing changed (a failed commit or a failed write).
  func install(_ new: LoadedBundle, bytes: [UInt8]?, origin: String) async -> String? {
    await untilNoCommitInFlight()
    // No suspension from here on: no event is decided between this commit and the swap.
    if processor.pendingCount > 0 || !waiters.isEmpty {
      commitPendingNow()
      if let lastFailure { return "\(lastFailure); the active bundle was not changed" }
    }
    if let bytes {
      do { try store.saveBundle(bytes, digest: new.digest) } catch {
        return "cannot store the bundle: \(error); the active bundle was not changed"
      }
    }
    let lists = Self.startingLists(for: new, store: store, logger: logger)
    processor = EventProcessor(bundle: new, store: store, lists: lists.values)
    activeLists = lists.active
    bundle = new
    json = DecisionJSON(bundle: new)
    installation = BundleInstallation(origin: origin, at: Date())
    logger.info(
      "bundle installed",
      metadata: ["tenant": "\(store.tenant)", "digest": "\(new.digest)", "origin": "\(origin)"])
    return nil
  }

  /// Runs the processor on one event; nothing is durable yet.
  func evaluate(_ event: [UInt8]) -> DecisionOutcome {
    let clock = ContinuousClock()
    let start = clock.now
    let result: ProcessedLine
    do {
      result = try event.withUnsafeBufferPointer { try processor.process(bytes: $0) }
    } catch {
      return .storeFailed("state store: \(error)")
    }
    let micros = Self.micros(clock.now - start)
    switch result {
    case .decided(let d, let line): return .decided(d, line: line, evaluationMicros: micros)
    case .duplicate(let id, let line): return .duplicate(eventID: id, line: line, evaluationMicros: micros)
    case .rejected(_, let line): return .rejected(line: line)
    case .blank: return .empty
    }
  }

  /// Whether answering `outcome` must wait for a commit: a new decision always; a duplicate
  /// while anything is pending (its original may be).
  func needsCommit(_ outcome: DecisionOutcome) -> Bool {
    switch outcome {
    case .decided: return true
    case .duplicate: return processor.pendingCount > 0 || processor.hasCommitInFlight
    case .rejected, .empty, .storeFailed: return false
    }
  }

  static func micros(_ d: Duration) -> Int {
    let (s, attos) = d.components
    return Int(s) * 1_000_000 + Int(attos / 1_000_000_000_000)
  }

  // MARK: - Group commit

  /// Suspends until a commit holding every decision made so far returns: nil when it succeeded,
  /// else the failure.
  func waitForCommit() async -> String? {
    await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
      waiters.append(.call(c))
      perform(schedule.requestWaits(pending: processor.pendingCount))
    }
  }

  func perform(_ action: CommitSchedule.Action) {
    switch action {
    case .none: break
    case .commit:
      // A hot swap or the shutdown is about to commit on the actor: it answers these waiters.
      if !holdCommits { startCommit() }
    case .armTimer:
      let delay = options.commitDelay
      // The task inherits this actor's isolation: the timer runs on the actor.
      Task {
        try? await Task.sleep(for: delay)
        self.timerFired()
      }
    }
  }

  func timerFired() { perform(schedule.timerFired()) }

  /// Starts committing every pending decision in one transaction, on the commit thread: the
  /// actor goes on deciding while the transaction and its fsync run, and the decisions made
  /// meanwhile form the next group. The waiters so far are answered when it returns.
  func startCommit() { commitGroup(onActor: false) }

  /// Commits every pending decision for every waiter so far — on the commit thread, or on the
  /// actor (blocking it) when `onActor` — answers the group when it returns, and settles it.
  func commitGroup(onActor: Bool) {
    let group = waiters
    waiters.removeAll(keepingCapacity: true)
    schedule.commitStarted()
    guard let batch = processor.takeCommit() else {
      // Nothing pending (a duplicate waited for a commit that has returned since).
      Self.answer(group, size: 0, duration: .zero, error: nil, failure: failure, metrics: metrics)
      settleCommit(size: 0, error: nil)
      return
    }
    let size = batch.decisions.count
    if onActor {
      let (duration, error) = CommitThread.commit(batch, to: store)
      Self.answer(group, size: size, duration: duration, error: error, failure: failure, metrics: metrics)
      settleCommit(size: size, error: error)
      return
    }
    let (failure, metrics) = (self.failure, self.metrics)
    // On the commit thread: the commit is recorded there, then the group answered and the commit settled.
    committer.commit(batch, to: store) { duration, error in
      // The commit is recorded here (metrics, `/readyz`'s failure) before anyone is answered,
      // but the group is answered by one job on the pool: resuming ~30 continuations here woke
      // a pool thread for most of them, each preempting this thread (docs/performance.md,
      // "The group answered by one job"). From a pool thread, the resumed tasks queue behind it.
      let message = Self.record(
        size: size, duration: duration, error: error, failure: failure, metrics: metrics)
      DispatchQueue.global(qos: .userInitiated).async { for w in group { w.resume(failure: message) } }
      Task { await self.settleCommit(size: size, error: error) }
    }
  }

  /// Answers a commit's group (on whichever thread the commit returned): records the commit in
  /// the metrics and a failure for `/readyz` first, so that a client that got its answer sees
  /// its commit counted.
  nonisolated static func answer(
    _ group: [CommitWaiter], size: Int, duration: Duration, error: String?, failure: CommitFailure,
    metrics: ServerMetrics?
  ) {
    let message = record(size: size, duration: duration, error: error, failure: failure, metrics: metrics)
    for w in group { w.resume(failure: message) }
  }

  /// Records a returned commit — in the metrics, and its failure (or success) for `/readyz` —
  /// and returns the failure message its group is answered with (nil: it succeeded).
  nonisolated static func record(
    size: Int, duration: Duration, error: String?, failure: CommitFailure, metrics: ServerMetrics?
  ) -> String? {
    let message = error.map { "state store commit failed: \($0)" }
    if let message {
      failure.set(message)
    } else if size > 0 {
      failure.set(nil)
    }
    if size > 0 || error != nil {
      metrics?.recordCommit(size: size, duration: duration, succeeded: error == nil)
    }
    return message
  }

  /// Settles a commit whose group has been answered (or, after a commit on the commit thread,
  /// is being answered by a job on the pool): the processor learns its outcome, the
  /// counts move, whoever waits for no commit to be in flight is woken, and the next commit
  /// starts when requests wait for one.
  func settleCommit(size: Int, error: String?) {
    if let error {
      processor.commitFailed()
      logger.error("commit failed", metadata: ["error": "\(error)"])
    } else {
      processor.commitSucceeded()
      if size > 0 {
        committedDecisions += size
        commits += 1
      }
    }
    let action = schedule.commitFinished()
    // A hot swap or the shutdown waiting for this commit goes first (it commits what is pending
    // itself); else, under steady load, the next group would always start before it could run.
    if !idleWaiters.isEmpty {
      holdCommits = true
      let idle = idleWaiters
      idleWaiters.removeAll()
      for w in idle { w.resume() }
      return
    }
    perform(action)
  }

  /// Returns once no commit is in flight (the actor is then free to commit synchronously until
  /// its next suspension).
  func untilNoCommitInFlight() async {
    while schedule.inFlight {
      await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in idleWaiters.append(c) }
    }
    holdCommits = false
  }

  /// Commits every pending decision on the actor and answers every waiter (hot swap and
  /// shutdown, after `untilNoCommitInFlight`).
  func commitPendingNow() {
    precondition(!schedule.inFlight, "a commit is in flight")
    commitGroup(onActor: true)
  }

  // MARK: - Reading

  /// The committed decision line for `eventID`, or nil.
  public func storedDecision(eventID: String) throws -> String? {
    try store.decisionLine(forEventID: eventID)
  }

  /// Nil when ready (bundle loaded, database writable and the last commit succeeded), else why not.
  public func notReadyReason() -> String? {
    if store.isReadOnly { return "state database `\(store.path)` is open read-only" }
    if let lastFailure { return lastFailure }
    do {
      _ = try store.pragma("user_version")
    } catch {
      return "state database unreadable: \(error)"
    }
    return nil
  }

  // MARK: - Shutdown

  /// Commits whatever is still pending (at graceful shutdown, once no request is in flight).
  /// Returns the decisions committed and the commits made since start.
  func drain() async -> (decisions: Int, commits: Int) {
    await untilNoCommitInFlight()
    if processor.pendingCount > 0 || !waiters.isEmpty { commitPendingNow() }
    return (committedDecisions, commits)
  }
}

/// A request waiting for a commit, answered once it returned.
enum CommitWaiter: Sendable {
  /// A `POST /v1/decisions` request (through the inbox): its outcome and renderer, answered
  /// with `storeFailed` instead when the commit failed.
  case decision(CheckedContinuation<(DecisionOutcome, DecisionJSON), Never>, DecisionOutcome, DecisionJSON)
  /// A caller on the actor (`waitForCommit`): nil, or the failure.
  case call(CheckedContinuation<String?, Never>)

  /// Resumes the waiter: the commit succeeded (nil) or failed (`failure`).
  func resume(failure: String?) {
    switch self {
    case .decision(let reply, let outcome, let renderer):
      reply.resume(returning: (failure.map { .storeFailed($0) } ?? outcome, renderer))
    case .call(let c): c.resume(returning: failure)
    }
  }
}

/// Events handed over to the decision service and not decided yet, in arrival order.
final class DecisionInbox: Sendable {
  /// An event and the continuation of the request that sent it.
  struct Submission: Sendable {
    let event: [UInt8]
    let reply: CheckedContinuation<(DecisionOutcome, DecisionJSON), Never>
  }

  /// The submissions, and whether an actor job that will take them is scheduled.
  private let state = Mutex<(items: [Submission], scheduled: Bool)>(([], false))

  /// Adds a submission; true when no job to take it is scheduled yet (the caller schedules one).
  func add(_ event: [UInt8], _ reply: CheckedContinuation<(DecisionOutcome, DecisionJSON), Never>) -> Bool {
    state.withLock { s in
      s.items.append(Submission(event: event, reply: reply))
      if s.scheduled { return false }
      s.scheduled = true
      return true
    }
  }

  /// Takes every submission; the next `add` schedules a new job.
  func take() -> [Submission] {
    state.withLock { s in
      s.scheduled = false
      var taken: [Submission] = []
      swap(&taken, &s.items)
      return taken
    }
  }
}

/// The last commit failure, until a commit succeeds: written where commits return, read by
/// `/readyz` and the hot swap.
final class CommitFailure: Sendable {
  private let state = Mutex<String?>(nil)

  /// The failure's message, or nil.
  var message: String? { state.withLock { $0 } }

  func set(_ message: String?) { state.withLock { $0 = message } }
}

/// Where the active bundle came from, and when it was installed.
struct BundleInstallation: Sendable {
  /// `start-up` (`--rules`), `stored` (restored from the database), `api` (`PUT /v1/bundle`)
  /// or `sighup` (reloaded from `--rules`).
  var origin: String
  /// When it was installed.
  var at: Date
}
