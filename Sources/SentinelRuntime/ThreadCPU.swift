// The calling thread's CPU time, for the figures the tools print about their own threads
// (`replay`'s and `consume`'s summaries, `sentinel bench`): on a shared machine a thread's CPU
// time moves less with the other processes than its wall time.

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
