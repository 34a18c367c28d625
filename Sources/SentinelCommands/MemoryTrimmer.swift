// Gives the allocator's free pages back to the system while the daemon runs.
//
// Under traffic glibc's allocator keeps the memory that requests freed in its per-thread arenas:
// the daemon's resident set grows by tens of MB that are free, not live (`malloc_info` after a
// load run: ~13 MB in use, ~42 MB free in the arenas), and glibc only trims the top of each heap
// by itself. `malloc_trim(0)` returns the free pages inside the heaps as well; it runs here on a
// thread of its own, every `interval`, never on the cooperative pool. Measured in
// docs/performance.md ("Resident memory under traffic").

import CMallocCounter
import Foundation
import Synchronization

/// Calls `malloc_trim(0)` every `interval` on a dedicated thread and counts what it released.
final class MemoryTrimmer: Sendable {
  /// Trims so far, and the resident bytes they released in total.
  struct Counts: Sendable {
    var trims = 0
    var releasedBytes = 0
  }

  let interval: Double
  private let counts = Mutex(Counts())

  /// A trimmer that trims every `interval` seconds once started (`interval` > 0).
  init(interval: Double) {
    self.interval = interval
  }

  /// Starts the trimming thread; it runs until the process exits.
  func start() {
    let thread = Thread { [self] in
      while true {
        Thread.sleep(forTimeInterval: interval)
        trimNow()
      }
    }
    thread.name = "sentinel-trim"
    thread.start()
  }

  /// One trim: the resident set before and after, the difference counted when it shrank.
  func trimNow() {
    let before = Self.residentBytes()
    _ = sentinel_release_free_memory()
    let after = Self.residentBytes()
    counts.withLock {
      $0.trims += 1
      if let before, let after, before > after { $0.releasedBytes += before - after }
    }
  }

  /// What the trims did so far.
  var snapshot: Counts { counts.withLock { $0 } }

  /// The process's resident set in bytes (`/proc/self/statm`), nil where it cannot be read.
  static func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }
}
