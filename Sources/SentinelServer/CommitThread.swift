// Where the decision service's commits run: a serial dispatch queue of its own, so that the
// transaction and its fsync (milliseconds on a slow disk) block neither the service's actor —
// which goes on deciding — nor a thread of Swift's cooperative pool (two threads on two cores).

import Dispatch
import SentinelState

/// Runs state-store commits off the caller's thread, one at a time.
final class CommitThread: Sendable {
  private let queue = DispatchQueue(label: "sentinel.commit", qos: .userInitiated)

  /// Commits `batch` to `store` on the commit queue, then calls `then` there with how long the
  /// commit took and its error, if it failed (no task switch: the caller answers from there).
  func commit(
    _ batch: StateBatch, to store: SQLiteStateStore, then: @escaping @Sendable (Duration, String?) -> Void
  ) {
    queue.async {
      let (duration, error) = Self.commit(batch, to: store)
      then(duration, error)
    }
  }

  /// Commits `batch` to `store` on the calling thread; returns how long it took and its error's description.
  static func commit(_ batch: StateBatch, to store: SQLiteStateStore) -> (Duration, String?) {
    let clock = ContinuousClock()
    let start = clock.now
    do {
      try store.commit(batch)
      return (clock.now - start, nil)
    } catch {
      return (clock.now - start, "\(error)")
    }
  }
}
