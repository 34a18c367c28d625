// `replay`'s decoding thread: the lines of the input are decoded (validated, cut into the event
// schema's slots) on a thread of its own, up to 4 batches of 64 lines ahead of the thread that
// decides them, through a `LinePreparer` and `process(prepared:slots:stateResults:)`; the
// preparer also runs the state program when it reads only the event's fields. Neither needs
// anything of the processor's state, so the decisions, their order and the output are those of
// `process(bytes:)` line by line (`RuntimeListTests.preparedLinesDecideAsProcessedBytes`,
// `StatefulDifferentialTests.stateResultsPreparedAheadDecideAsProcessedBytes`,
// `ReplayCrashTests.pipelinedAndSequentialReplaysAgreeInMemory`).

import CMallocCounter
import Dispatch
import Foundation
import SentinelModel
import SentinelRuntime
import Synchronization

/// A batch of decoded lines. Between `DecodeAhead.next()` and `release(_:)` it belongs to the
/// deciding thread, otherwise to the decoding thread (the semaphores order every access).
final class DecodedBatch: @unchecked Sendable {
  // NOTE: `@exclusivity(unchecked)`: the deciding thread changes an element of each per line
  // (`replay`), and each such access to a class's stored property was checked at run time
  // (`swift_beginAccess`, `swift_endAccess`: ~1.3 % of replay's deciding thread;
  // docs/performance.md, "s16-decide"). One thread at a time uses a batch (the ring hands it
  // over), and no access overlaps another.
  /// Each line's outcome, for the first `count` entries.
  @exclusivity(unchecked) var prepared: [PreparedLine]
  /// Each line's slot buffer (an event's decoded fields).
  @exclusivity(unchecked) var slots: [[Value?]]
  /// Each line's state program results, when the preparer ran it (else empty).
  @exclusivity(unchecked) var stateResults: [[Value]]
  /// How many lines the batch holds.
  var count = 0
  /// The index of its first line in the input.
  var first = 0

  init(capacity: Int, decoder: EventDecoder) {
    prepared = Array(repeating: .blank, count: capacity)
    slots = (0..<capacity).map { _ in decoder.makeSlots() }
    stateResults = Array(repeating: [], count: capacity)
  }
}

/// Decodes an input's lines on a thread of its own, `depth` batches of `batchLines` lines at most
/// ahead of the caller, who takes them in order with `next()` and hands each back with
/// `release(_:)` once it decided its lines (its slot buffers are then decoded into again).
final class DecodeAhead: Sendable {
  private let input: [UInt8]
  private let bounds: [Range<Int>]
  private let preparer: LinePreparer
  private let ring: [DecodedBatch]
  private let batchLines: Int
  private let filled = DispatchSemaphore(value: 0)
  private let free: DispatchSemaphore
  private let stopped = Atomic<Bool>(false)
  /// Batches handed back and not signalled yet (the caller's thread only; see `release`).
  private let unsignalled = Atomic<Int>(0)
  /// The number of batches `next()` returned (the caller's thread only).
  private let taken = Mutex<Int>(0)
  /// The decoding thread's CPU time once it decoded the last line (nil before), the part of it
  /// spent spinning (`spin`), and its heap allocations (CMallocCounter; 0 without the interposer).
  private let cpu = Mutex<(total: Double, spinning: Double, allocations: UInt64)?>(nil)
  /// The CPU seconds `next()` spun so far (the caller's thread only).
  private let callerSpin = Mutex<Double>(0)
  private let finished = DispatchSemaphore(value: 0)
  /// The number of batches decoded so far (counted after `filled` is signalled): what `next()`
  /// spins on before it waits.
  private let produced = Atomic<Int>(0)
  /// The number of batches handed back so far (counted after `free` is signalled for them): what
  /// the decoding thread spins on before it waits for a free batch.
  private let returned = Atomic<Int>(0)

  /// Starts preparing `input`'s lines (`bounds`, in order) with `preparer`, whose decoder is
  /// `decoder`.
  init(
    input: [UInt8], bounds: [Range<Int>], decoder: EventDecoder, preparer: LinePreparer,
    // NOTE: 256 lines ahead at most, not 4,096 (16 × 256): the slots and state results of the lines
    // ahead (~2.5 kB a line) then still sit in the decoding core's L2 when the deciding thread
    // reads them; 4,096 and 512 lines ahead were ~10 % more deciding CPU per line (alternating
    // in-memory replays, docs/performance.md, "the work split anew between the two threads").
    batchLines: Int = 64,
    depth: Int = 4
  ) {
    self.input = input
    self.bounds = bounds
    self.preparer = preparer
    self.batchLines = max(1, batchLines)
    ring = (0..<max(2, depth)).map { _ in DecodedBatch(capacity: max(1, batchLines), decoder: decoder) }
    free = DispatchSemaphore(value: ring.count)
    let thread = Thread { [self] in decodeAll() }
    thread.name = "sentinel.replay.decode"
    thread.start()
  }

  /// The next batch of decoded lines, in input order; nil after the last one.
  func next() -> DecodedBatch? {
    let n = taken.withLock { n in
      defer { n += 1 }
      return n
    }
    guard n * batchLines < bounds.count else { return nil }
    let spun = DecodeAhead.spin(until: n + 1, on: produced)
    if spun > 0 { callerSpin.withLock { $0 += spun } }
    filled.wait()
    return ring[n % ring.count]
  }

  /// Hands a batch back to the decoding thread.
  // NOTE: two at a time: the decoding thread, faster, usually waits for a free batch, and each
  // wake-up cost both threads a futex call and a context switch. One batch held back never
  // starves the decoding thread of the batch the caller waits for: with `depth` ≥ 2 it has a
  // permit for every batch up to the one after the last handed back.
  func release(_ batch: DecodedBatch) {
    if unsignalled.add(1, ordering: .relaxed).newValue < 2 { return }
    unsignalled.store(0, ordering: .relaxed)
    free.signal()
    free.signal()
    returned.add(2, ordering: .releasing)
  }

  /// Returns once `counter` reaches `target`, or after ~100 µs: the semaphore wait that follows
  /// then finds its signal given and does not sleep.
  // NOTE: a thread that sleeps on a semaphore is woken by a `futex` call of the other thread, and
  // a vCPU that went idle takes tens of µs to run again. The two threads are balanced, so each
  // waits for the other ~100–500 times per 104,125 lines, and the deciding thread then waited
  // ~0.1–0.3 ms per wait (the decoding thread's wake-up, then a batch). Spinning first, it slept
  // 7 to 16 times per run instead of 48 to 160 (both counted by a scratch build's instrumentation,
  // not kept), and in three alternating sets the medians with a spin were 496,786–518,726
  // events/s against 426,802–507,534 with the heap pad alone or 480,444 for the base
  // (docs/performance.md, "s18: the heaps' growth and the threads' waits"; `bench/replay_ab.sh`
  // reports each thread's spinning). The spin is polite: `pause` (a hypervisor may run another
  // vCPU meanwhile) and `sched_yield` (another thread of this vCPU may run), so that a busy host
  // or machine loses little to it. Its time counts in the waiting thread's CPU time.
  /// Returns the thread's CPU time spent spinning, in seconds (0 when it did not spin).
  @discardableResult
  static func spin(until target: Int, on counter: borrowing Atomic<Int>) -> Double {
    if counter.load(ordering: .acquiring) >= target { return 0 }
    let cpu = threadCPUSeconds()
    let end = monotonicNanoseconds() &+ 100_000
    while true {
      for _ in 0..<64 {
        if counter.load(ordering: .acquiring) >= target { return threadCPUSeconds() - cpu }
        sentinel_spin_pause()
      }
      if monotonicNanoseconds() > end { return threadCPUSeconds() - cpu }
      sched_yield()
    }
  }

  /// CLOCK_MONOTONIC in nanoseconds.
  private static func monotonicNanoseconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return t.tv_sec &* 1_000_000_000 &+ t.tv_nsec
  }

  /// Stops the decoding thread at its next batch (the caller stops taking batches).
  func cancel() {
    stopped.store(true, ordering: .relaxed)
    free.signal()
  }

  /// The seconds `next()` spent spinning so far (part of the caller's CPU time).
  func callerSpinSeconds() -> Double { callerSpin.withLock { $0 } }

  /// The decoding thread's CPU time in seconds, the part of it spent spinning, and its heap
  /// allocations, once it decoded every line (it waits for that); nil after `cancel()`.
  func decodingCPUSeconds() -> (total: Double, spinning: Double, allocations: UInt64)? {
    if stopped.load(ordering: .relaxed) { return nil }
    finished.wait()
    finished.signal()
    return cpu.withLock { $0 }
  }

  private func decodeAll() {
    // CPU seconds spent spinning for a free batch.
    var spun = 0.0
    let allocationsAtStart = sentinel_thread_allocations()
    defer {
      let allocations = sentinel_thread_allocations() &- allocationsAtStart
      cpu.withLock { $0 = (threadCPUSeconds(), spun, UInt64(allocations)) }
      finished.signal()
    }
    // The decoding thread's own copy: it keeps the state program's register file.
    var preparer = self.preparer
    input.withUnsafeBufferPointer { all in
      var next = 0
      var b = 0
      while next < bounds.count {
        // A permit per batch of the ring, and one per batch handed back.
        spun += DecodeAhead.spin(until: b + 1 - ring.count, on: returned)
        free.wait()
        if stopped.load(ordering: .relaxed) { return }
        let batch = ring[b % ring.count]
        let end = min(next + batchLines, bounds.count)
        batch.first = next
        batch.count = end - next
        // NOTE: the batch's lines decoded first, then the state program run on each, not both
        // line by line: the scanner's and the VM's samples both fell (each loop keeps its own code
        // and branch history warm; the VM's dispatch follows one program 64 times in a row): up to
        // −13 % of this thread's CPU, within the noise in some invocations (docs/performance.md,
        // "s17-dec: the decoding thread, again").
        // NOTE: the batch's arrays through their buffers, once per batch, and the state program
        // told whether the line is an event (not handed the outcome, whose event id it would
        // retain and release): no uniqueness check of the batch's arrays and no retain of
        // the line's outcome per line. The buffers: this thread's instructions 265.6 → 264.3 M on
        // 20,000 lines (`WHOLE=1 bash bench/callgrind.sh`); its work 0.963 in 24 paired replays of
        // a scratch build switching both (docs/performance.md, "s20-dec").
        let first = next
        bounds.withUnsafeBufferPointer { lines in
          batch.slots.withUnsafeMutableBufferPointer { slots in
            batch.prepared.withUnsafeMutableBufferPointer { prepared in
              for i in first..<end {
                prepared[i &- first] = preparer.decode(
                  UnsafeBufferPointer(rebasing: all[lines[i]]), into: &slots[i &- first],
                  settlingIDs: i &- first)
              }
              batch.stateResults.withUnsafeMutableBufferPointer { results in
                for k in 0..<(end &- first) {
                  preparer.runState(isEvent: prepared[k].isEvent, slots: slots[k], stateResults: &results[k])
                }
              }
            }
          }
        }
        // The batch's first-seen ids at once (their set's cache misses overlap).
        preparer.settleIDs(&batch.prepared)
        next = end
        b += 1
        filled.signal()
        produced.add(1, ordering: .releasing)
      }
    }
  }
}
