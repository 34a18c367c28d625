// When the decision service commits: a pure state machine (no clock, no I/O) that the
// `DecisionService` actor drives. A commit happens when `maxPending` decisions wait for one, or
// when the delay timer armed by the first waiter fires, whichever comes first — so concurrent
// requests share one transaction (one fsync) and a lone request waits at most the delay.

/// Decides when pending decisions are committed (group commit).
struct CommitSchedule: Sendable {
  /// What the service must do after an event of the schedule.
  enum Action: Sendable, Equatable {
    /// Nothing: a commit is already due (timer armed) or nobody waits.
    case none
    /// Arm the delay timer; call `timerFired()` when it fires.
    case armTimer
    /// Commit now, then call `committed()`.
    case commit
  }

  /// Commit as soon as this many decisions are pending.
  let maxPending: Int
  /// Requests waiting for the next commit.
  private(set) var waiters = 0
  /// Whether a delay timer is armed.
  private(set) var timerArmed = false

  init(maxPending: Int) { self.maxPending = max(1, maxPending) }

  /// A request waits for the next commit; `pending` decisions are now uncommitted.
  mutating func requestWaits(pending: Int) -> Action {
    waiters += 1
    if pending >= maxPending { return .commit }
    if timerArmed { return .none }
    timerArmed = true
    return .armTimer
  }

  /// The delay timer fired.
  mutating func timerFired() -> Action {
    timerArmed = false
    return waiters > 0 ? .commit : .none
  }

  /// A commit returned (or failed): every waiter has been answered.
  mutating func committed() { waiters = 0 }
}
