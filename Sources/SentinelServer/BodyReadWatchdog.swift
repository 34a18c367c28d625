// The request body timeout (`--body-timeout`) without a timer per request. Each body is read in
// a task of its own, registered here with its deadline; one watchdog task wakes every `tick`
// while reads are registered, cancels those past their deadline, and ends when none is left.
// Before, every body read raced its read against a sleeping task in a task group: two child
// tasks and a dispatch timer (set, then cancelled) per request, ~10% of the daemon's CPU on the
// constant route. A late body is noticed up to one tick after its deadline.

import NIOCore
import Synchronization

/// Reads request bodies within a deadline.
final class BodyReadWatchdog: Sendable {
  /// The daemon's watchdog.
  static let shared = BodyReadWatchdog()

  /// How often the watchdog looks at the deadlines while reads are in flight.
  let tick: Duration

  private struct Read {
    let deadline: ContinuousClock.Instant
    let task: Task<ByteBuffer, any Error>
  }

  private struct State {
    var reads: [UInt64: Read] = [:]
    var next: UInt64 = 0
    /// Reads the watchdog cancelled (their deadline passed).
    var expired: Set<UInt64> = []
    /// Whether a watchdog task is running.
    var watching = false
  }

  private let state = Mutex(State())

  init(tick: Duration = .milliseconds(100)) {
    self.tick = tick
  }

  /// Runs `read` in a task of its own and returns what it read, or nil when it did not finish
  /// within `timeout` (it is then cancelled, and its result is dropped). Errors of `read` are rethrown; cancelling the
  /// caller cancels the read.
  func collect(
    within timeout: Duration, _ read: @escaping @Sendable () async throws -> ByteBuffer
  ) async throws -> ByteBuffer? {
    let task = Task { try await read() }
    let deadline = ContinuousClock.now + timeout
    let (id, startWatching) = state.withLock { s -> (UInt64, Bool) in
      let id = s.next
      s.next &+= 1
      s.reads[id] = Read(deadline: deadline, task: task)
      if s.watching { return (id, false) }
      s.watching = true
      return (id, true)
    }
    if startWatching { Task.detached { await self.watch() } }
    let result: Result<ByteBuffer, any Error>
    do {
      result = .success(
        try await withTaskCancellationHandler {
          try await task.value
        } onCancel: {
          task.cancel()
        })
    } catch {
      result = .failure(error)
    }
    let expired = state.withLock { s in
      s.reads[id] = nil
      return s.expired.remove(id) != nil
    }
    // Past its deadline the read was cancelled, and what it returned may be cut short: a
    // timeout, whatever it gave.
    if expired { return nil }
    return try result.get()
  }

  /// Cancels the reads past their deadline every `tick`, until no read is registered.
  private func watch() async {
    while true {
      try? await Task.sleep(for: tick)
      let now = ContinuousClock.now
      let (late, done) = state.withLock { s -> ([Task<ByteBuffer, any Error>], Bool) in
        var late: [Task<ByteBuffer, any Error>] = []
        for (id, r) in s.reads where r.deadline <= now && !s.expired.contains(id) {
          s.expired.insert(id)
          late.append(r.task)
        }
        if s.reads.isEmpty {
          s.watching = false
          return (late, true)
        }
        return (late, false)
      }
      for t in late { t.cancel() }
      if done { return }
    }
  }
}
