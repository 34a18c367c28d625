// `sentinel bench`: how fast a stateless rule set decides a corpus of JSON events, measured in
// three passes over the same lines, interleaved and repeated (`iterations`), medians reported:
//
//   decode       JSON line → schema slots (a reused slot buffer), nothing else
//   eval         pre-decoded slots → rule program → decision (action, score, matched rules)
//   end to end   JSON line → slots → rule program → decision; line by line, or (`block` > 1)
//                `block` lines decoded, then their events decided, block after block
//
// Allocations are counted per pass with the malloc interposer (`CMallocCounter`): every heap
// allocation the benchmarking thread makes during the pass, divided by the events. A decision
// here is `DecisionEngine.summarize` (action, score, matched rule indices): the same policy as
// `combine`, without building the decision's strings, as the peer runners return a bitmask.
// Timing is `ContinuousClock` around whole passes, and the thread's CPU time
// (`CLOCK_THREAD_CPUTIME_ID`), which other processes on a busy machine disturb less; nothing here
// asserts a speed.

import CMallocCounter
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier

#if canImport(Glibc)
  import Glibc
#endif

/// The figures of one `sentinel bench` run.
public struct BenchmarkReport: Sendable {
  /// Input lines that decoded into events (each pass decides all of them).
  public var events: Int
  /// Input lines rejected by the decoder (decoded and rejected in the decode and end-to-end
  /// passes; not in the eval pass).
  public var rejected: Int
  /// The number of rules in the bundle.
  public var rules: Int
  /// Timed repetitions of each pass (after one untimed warm-up pass each).
  public var iterations: Int
  /// Median ns per event of the decode pass.
  public var decodeNanosecondsPerEvent: Double
  /// Median ns per event of the eval pass (events pre-decoded).
  public var evalNanosecondsPerEvent: Double
  /// Median ns per event of the end-to-end pass (JSON line → decision).
  public var endToEndNanosecondsPerEvent: Double
  /// Median CPU ns (this thread) per event of the decode, eval and end-to-end passes; 0 where
  /// the platform has no thread CPU clock.
  public var decodeCPUNanosecondsPerEvent: Double
  /// See `decodeCPUNanosecondsPerEvent`.
  public var evalCPUNanosecondsPerEvent: Double
  /// See `decodeCPUNanosecondsPerEvent`.
  public var endToEndCPUNanosecondsPerEvent: Double
  /// Heap allocations per event in the eval pass.
  public var evalAllocationsPerEvent: Double
  /// Heap allocations per event in the decode pass.
  public var decodeAllocationsPerEvent: Double
  /// Heap allocations per event in the end-to-end pass.
  public var endToEndAllocationsPerEvent: Double
  /// Whether allocations were counted (the malloc interposer is in effect).
  public var allocationCounting: Bool
  /// Decisions per action in one eval pass.
  public var actions: [DecisionAction: Int]
  /// The sum of the decisions' scores in one eval pass.
  public var scoreSum: Int
  /// The sum over events of the number of matched rules in one eval pass.
  public var matchedSum: Int
  /// Whether the end-to-end pass decided exactly what the eval pass decided (same per-action
  /// counts, score sum and matched-rule sum).
  public var consistent: Bool
  /// Lines the end-to-end pass decodes before deciding them (1: each line decoded, then decided).
  public var endToEndBlock = 1

  /// Events per second of the eval pass.
  public var evalEventsPerSecond: Double { 1e9 / evalNanosecondsPerEvent }
  /// Events per second of the end-to-end pass.
  public var endToEndEventsPerSecond: Double { 1e9 / endToEndNanosecondsPerEvent }

  /// One JSON object (one line): `events`, `eval_ns_per_event`, `end_to_end_ns_per_event`,
  /// `allocations_per_event` (the eval pass) and the rest of the figures.
  public var json: String {
    func number(_ x: Double) -> String {
      guard x.isFinite else { return "null" }
      let r = (x * 100).rounded() / 100
      return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(r)
    }
    let counts = DecisionAction.allCases.map { "\"\($0.rawValue)\":\(actions[$0] ?? 0)" }
    let fields: [(String, String)] = [
      ("events", String(events)), ("rejected", String(rejected)), ("rules", String(rules)),
      ("iterations", String(iterations)),
      ("decode_ns_per_event", number(decodeNanosecondsPerEvent)),
      ("eval_ns_per_event", number(evalNanosecondsPerEvent)),
      ("eval_events_per_s", number(evalEventsPerSecond)),
      ("end_to_end_ns_per_event", number(endToEndNanosecondsPerEvent)),
      ("end_to_end_events_per_s", number(endToEndEventsPerSecond)),
      ("decode_cpu_ns_per_event", number(decodeCPUNanosecondsPerEvent)),
      ("eval_cpu_ns_per_event", number(evalCPUNanosecondsPerEvent)),
      ("end_to_end_cpu_ns_per_event", number(endToEndCPUNanosecondsPerEvent)),
      ("allocations_per_event", number(evalAllocationsPerEvent)),
      ("decode_allocations_per_event", number(decodeAllocationsPerEvent)),
      ("end_to_end_allocations_per_event", number(endToEndAllocationsPerEvent)),
      ("allocation_counting", allocationCounting ? "true" : "false"),
      ("actions", "{" + counts.joined(separator: ",") + "}"),
      ("score_sum", String(scoreSum)), ("matched_sum", String(matchedSum)),
      ("consistent", consistent ? "true" : "false"),
      ("end_to_end_block", String(endToEndBlock)),
    ]
    return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
  }
}

/// Why a benchmark cannot run.
public struct BenchmarkError: Error, Sendable, CustomStringConvertible {
  /// What is wrong.
  public var message: String
  public var description: String { message }
}

/// Measures decode, evaluation and end-to-end decision speed of a stateless bundle on a corpus.
public struct RuleSetBenchmark {
  let bundle: LoadedBundle
  let engine: DecisionEngine
  let decoder: EventDecoder
  /// Lines the end-to-end pass decodes before deciding them; 1: each line decoded, then decided.
  /// NOTE: measured in docs/performance.md (session 13): in blocks of 32-128 lines the pass
  /// costs 9–14 % less CPU than line by line, about what the decode and eval passes cost apart
  /// (likely because the decoder and the VM no longer take turns in the caches and branch
  /// predictors per event; not measured directly).
  let block: Int

  /// A benchmark of `bundle`; bundles with aggregates are refused (their decisions depend on
  /// state: measure them with `sentinel replay`).
  public init(bundle: LoadedBundle, block: Int = 1) throws(BenchmarkError) {
    self.block = max(1, block)
    guard bundle.stateProgram == nil, bundle.bundle.aggregates.isEmpty else {
      throw BenchmarkError(
        message: "the rule set has aggregates; bench measures stateless rule sets (use `sentinel replay`)")
    }
    self.bundle = bundle
    let b = bundle.bundle
    engine = DecisionEngine(program: bundle.program, rules: b.rules, policy: b.policy)
    decoder = EventDecoder(schema: b.schema, slotOrder: b.program.variables.map(\.name))
  }

  /// Runs the three passes `iterations` times on the lines of `input` (UTF-8, one JSON event
  /// per line; blank lines are skipped).
  public func run(input: [UInt8], iterations: Int) throws(BenchmarkError) -> BenchmarkReport {
    var lines: [Range<Int>] = []
    var from = 0
    for (i, b) in input.enumerated() where b == 10 {
      if !isBlank(input[from..<i]) { lines.append(from..<i) }
      from = i + 1
    }
    if from < input.count, !isBlank(input[from...]) { lines.append(from..<input.count) }

    // The eval pass's input: every accepted event's slots, decoded once, untimed.
    var decoded: [[Value?]] = []
    var slots = decoder.makeSlots()
    RuntimeListValue.fillDefaults(&slots, names: decoder.slotOrder, bundle: bundle.bundle)
    input.withUnsafeBufferPointer { all in
      for range in lines {
        if (try? decoder.decode(UnsafeBufferPointer(rebasing: all[range]), into: &slots)) != nil {
          decoded.append(slots)
        }
      }
    }
    guard !decoded.isEmpty else { throw BenchmarkError(message: "no event in the input was accepted") }

    var state = PassState(rules: engine.rules.count)
    state.slots = slots
    var decodeTimes: [Double] = []
    var evalTimes: [Double] = []
    var endToEndTimes: [Double] = []
    var cpuTimes: (decode: [Double], eval: [Double], endToEnd: [Double]) = ([], [], [])
    var allocations = (decode: UInt64(0), eval: UInt64(0), endToEnd: UInt64(0))
    var evalTally = Tally()
    var endToEndTally = Tally()
    for round in 0...max(1, iterations) {
      let timed = round > 0
      let d = measure { decodePass(input, lines, &state) }
      let e = measure { evalTally = evalPass(decoded, &state) }
      let x = measure { endToEndTally = endToEndPass(input, lines, &state) }
      guard timed else { continue }
      decodeTimes.append(d.ns)
      evalTimes.append(e.ns)
      endToEndTimes.append(x.ns)
      cpuTimes.decode.append(d.cpu)
      cpuTimes.eval.append(e.cpu)
      cpuTimes.endToEnd.append(x.cpu)
      allocations.decode += d.allocations
      allocations.eval += e.allocations
      allocations.endToEnd += x.allocations
    }
    let runs = Double(decodeTimes.count)
    let n = Double(decoded.count)
    let all = Double(lines.count)
    return BenchmarkReport(
      events: decoded.count, rejected: lines.count - decoded.count, rules: engine.rules.count,
      iterations: decodeTimes.count,
      decodeNanosecondsPerEvent: median(decodeTimes) / all,
      evalNanosecondsPerEvent: median(evalTimes) / n,
      endToEndNanosecondsPerEvent: median(endToEndTimes) / all,
      decodeCPUNanosecondsPerEvent: median(cpuTimes.decode) / all,
      evalCPUNanosecondsPerEvent: median(cpuTimes.eval) / n,
      endToEndCPUNanosecondsPerEvent: median(cpuTimes.endToEnd) / all,
      evalAllocationsPerEvent: Double(allocations.eval) / runs / n,
      decodeAllocationsPerEvent: Double(allocations.decode) / runs / all,
      endToEndAllocationsPerEvent: Double(allocations.endToEnd) / runs / all,
      allocationCounting: sentinel_allocation_counting() != 0,
      actions: evalTally.actions, scoreSum: evalTally.scoreSum, matchedSum: evalTally.matchedSum,
      consistent: evalTally == endToEndTally, endToEndBlock: block)
  }

  // MARK: - Passes

  /// What the passes reuse from one event to the next.
  struct PassState {
    var slots: [Value?] = []
    /// The slot arrays of the end-to-end pass in blocks.
    var block: [[Value?]] = []
    var results: [Value] = []
    var registers = VM.Registers()
    var matched: [Int]

    init(rules: Int) {
      matched = []
      matched.reserveCapacity(rules)
    }
  }

  /// What a pass decided, summed (to compare passes and keep the work observable).
  struct Tally: Equatable {
    var counts = [0, 0, 0, 0]
    var scoreSum = 0
    var matchedSum = 0

    mutating func add(_ s: DecisionSummary, matched: Int) {
      counts[s.action.rank] += 1
      scoreSum &+= s.score
      matchedSum &+= matched
    }

    var actions: [DecisionAction: Int] {
      var out: [DecisionAction: Int] = [:]
      for a in DecisionAction.allCases { out[a] = counts[a.rank] }
      return out
    }
  }

  func decodePass(_ input: [UInt8], _ lines: [Range<Int>], _ state: inout PassState) {
    input.withUnsafeBufferPointer { all in
      for range in lines {
        _ = try? decoder.decode(UnsafeBufferPointer(rebasing: all[range]), into: &state.slots)
      }
    }
  }

  func evalPass(_ events: [[Value?]], _ state: inout PassState) -> Tally {
    var tally = Tally()
    let vm = VM()
    for slots in events {
      _ = vm.run(bundle.program, variables: slots, results: &state.results, registers: &state.registers)
      let s = engine.summarize(state.results, matched: &state.matched)
      tally.add(s, matched: state.matched.count)
    }
    return tally
  }

  func endToEndPass(_ input: [UInt8], _ lines: [Range<Int>], _ state: inout PassState) -> Tally {
    if block > 1 { return endToEndBlocks(input, lines, &state) }
    var tally = Tally()
    let vm = VM()
    input.withUnsafeBufferPointer { all in
      for range in lines {
        guard (try? decoder.decode(UnsafeBufferPointer(rebasing: all[range]), into: &state.slots)) != nil
        else { continue }
        _ = vm.run(
          bundle.program, variables: state.slots, results: &state.results, registers: &state.registers)
        let s = engine.summarize(state.results, matched: &state.matched)
        tally.add(s, matched: state.matched.count)
      }
    }
    return tally
  }

  /// The end-to-end pass in blocks: `block` lines decoded into as many slot arrays (a rejected
  /// line leaves none), then the block's events decided in order: the decisions of the
  /// line-by-line pass.
  func endToEndBlocks(_ input: [UInt8], _ lines: [Range<Int>], _ state: inout PassState) -> Tally {
    var tally = Tally()
    let vm = VM()
    // Each slot array starts as a copy of the pass's (runtime-list defaults included).
    if state.block.count != block { state.block = [[Value?]](repeating: state.slots, count: block) }
    input.withUnsafeBufferPointer { all in
      var i = 0
      while i < lines.count {
        let j = min(i + block, lines.count)
        var filled = 0
        for range in lines[i..<j] {
          if (try? decoder.decode(UnsafeBufferPointer(rebasing: all[range]), into: &state.block[filled]))
            != nil
          {
            filled += 1
          }
        }
        for k in 0..<filled {
          _ = vm.run(
            bundle.program, variables: state.block[k], results: &state.results, registers: &state.registers)
          let s = engine.summarize(state.results, matched: &state.matched)
          tally.add(s, matched: state.matched.count)
        }
        i = j
      }
    }
    return tally
  }

  // MARK: - Measuring

  /// The wall time (ns), the thread's CPU time (ns) and the calling thread's heap allocations
  /// of one call of `body`.
  func measure(_ body: () -> Void) -> (ns: Double, cpu: Double, allocations: UInt64) {
    let clock = ContinuousClock()
    let a0 = sentinel_thread_allocations()
    let c0 = threadCPUTime()
    let t0 = clock.now
    body()
    let elapsed = t0.duration(to: clock.now)
    let c1 = threadCPUTime()
    let a1 = sentinel_thread_allocations()
    let c = elapsed.components
    return (Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9, c1 - c0, a1 &- a0)
  }

  /// The calling thread's CPU time in ns (0 without a thread CPU clock).
  func threadCPUTime() -> Double { threadCPUSeconds() * 1e9 }

  func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  func isBlank(_ bytes: ArraySlice<UInt8>) -> Bool {
    bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
  }
}
