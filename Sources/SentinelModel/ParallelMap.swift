// Data-parallel map for independent work items (the compiler's per-rule type checks, the rule
// parser's file chunks): the input is cut into one contiguous chunk per core and each chunk
// is mapped on its own thread. The output is in input order, so diagnostics and programs are
// the same whatever the number of cores. Small inputs stay on the calling thread.

import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A map that uses every core for long inputs.
public enum ParallelMap {
  /// By default, inputs shorter than this are mapped on the calling thread (a thread hop costs more).
  public static let minimumCount = 256

  /// The processors online (1 when unknown).
  public static let processorCount = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

  /// `xs.map(transform)`, computed on up to `processorCount` threads. `transform` must
  /// not touch shared mutable state: it runs concurrently with itself.
  public static func map<T: Sendable, R: Sendable>(
    _ xs: [T], minimumCount: Int = minimumCount, _ transform: @Sendable (T) -> R
  ) -> [R] {
    let cores = processorCount
    guard xs.count >= minimumCount, cores > 1 else { return xs.map(transform) }
    let chunks = min(cores, max(1, xs.count / max(1, minimumCount / 2)))
    return [R](unsafeUninitializedCapacity: xs.count) { buffer, initialized in
      guard let base = buffer.baseAddress else { return }
      let output = Disjoint(pointer: base)
      let count = xs.count
      DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        // Each chunk initializes its own disjoint range of the output.
        for k in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
          (output.pointer + k).initialize(to: transform(xs[k]))
        }
      }
      initialized = xs.count
    }
  }

  /// The output buffer, shared by the chunks: sound because each writes only its own range.
  private struct Disjoint<R>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<R>
  }
}
