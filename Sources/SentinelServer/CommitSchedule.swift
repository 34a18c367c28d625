// When the decision service commits: a pure state machine (no clock, no I/O) that the
// `DecisionService` actor drives. One commit is in flight at a time. When none is, a commit
// starts when `maxPending` decisions wait for one, or when the delay timer armed by the first
// waiter fires, whichever comes first (with no delay: at once). While one is in flight, the
// requests that arrive wait, and the next commit starts as soon as it returns — so concurrent
// requests share one transaction (one fsync), and a lone request waits at most the delay plus
// one commit.

/// Decides when pending decisions are committed (group commit).
struct CommitSchedule: Sendable {
  /// What the service must do after an event of the schedule.
  enum Action: Sendable, Equatable {
    /// Nothing: a commit is already due (timer armed, or one in flight) or nobody waits.
    case none
    /// Arm the delay timer; call `timerFired()` when it fires.
    case armTimer
    /// Start a commit now (`commitStarted()`), then call `commitFinished()` when it returns.
    case commit
  }

  /// Commit as soon as this many decisions are pending.
  let maxPending: Int
  /// Whether the first waiter commits at once instead of arming a timer.
  let immediate: Bool
  /// Requests waiting for the next commit.
  private(set) var waiters = 0
  /// Whether a delay timer is armed.
  private(set) var timerArmed = false
  /// Whether a commit is in flight.
  private(set) var inFlight = false

  /// A schedule committing at `maxPending` pending decisions, or at the first waiter when
  /// `immediate` (no delay), else when the delay timer fires.
  init(maxPending: Int, immediate: Bool = false) {
    self.maxPending = max(1, maxPending)
    self.immediate = immediate
  }

  /// A request waits for the next commit; `pending` decisions are now uncommitted (not counting
  /// those of a commit in flight).
  mutating func requestWaits(pending: Int) -> Action {
    waiters += 1
    if inFlight { return .none }
    if immediate || pending >= maxPending { return .commit }
    if timerArmed { return .none }
    timerArmed = true
    return .armTimer
  }

  /// The delay timer fired.
  mutating func timerFired() -> Action {
    timerArmed = false
    return waiters > 0 && !inFlight ? .commit : .none
  }

  /// A commit started: every request waiting so far is in its group.
  mutating func commitStarted() {
    inFlight = true
    waiters = 0
  }

  /// The commit in flight returned (or failed) and its group has been answered: the next one
  /// starts at once when requests wait for it.
  mutating func commitFinished() -> Action {
    inFlight = false
    return waiters > 0 ? .commit : .none
  }
}
