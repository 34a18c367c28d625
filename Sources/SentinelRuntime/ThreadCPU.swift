// The calling thread's CPU time, for the figures the tools print about their own threads
// (`replay`'s and `consume`'s summaries, `sentinel bench`): on a shared machine a thread's CPU
// time moves less with the other processes than its wall time.

import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The calling thread's CPU time in seconds (`CLOCK_THREAD_CPUTIME_ID`; 0 without a thread CPU
/// clock).
public func threadCPUSeconds() -> Double {
  #if canImport(Glibc)
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  #else
    return 0
  #endif
}

/// The time spent on one kind of work, summed over the calls of `measure` (on any thread): the
/// CPU time of the thread that ran each call, and each call's wall time, which adds its waits
/// (for the disk's fsync, a lock). `replay`'s and `consume`'s commit threads report it.
public final class WorkTime: Sendable {
  private let spent = Mutex<(cpu: Double, busy: Double)>((0, 0))

  public init() {}

  /// The CPU seconds and busy (wall) seconds summed so far.
  public var seconds: (cpu: Double, busy: Double) { spent.withLock { $0 } }

  /// Runs `body` on the calling thread and adds its CPU and wall time (before returning, so a
  /// caller that signals another thread afterwards has it counted).
  public func measure<T>(_ body: () throws -> T) rethrows -> T {
    let cpu0 = threadCPUSeconds()
    let wall0 = DispatchTime.now().uptimeNanoseconds
    defer {
      let cpu = threadCPUSeconds() - cpu0
      let busy = Double(DispatchTime.now().uptimeNanoseconds - wall0) * 1e-9
      spent.withLock { $0 = ($0.cpu + cpu, $0.busy + busy) }
    }
    return try body()
  }
}
