// The evaluation benchmark of bench/peer-workload/vm.sh: loads a compiled bundle (.sbc), verifies
// its program, decodes the first N events of a JSONL file into variable slots (Foundation's
// JSONSerialization; untimed), then times passes of "run the program + compute the decision
// (action, score, matched count)" over all of them, and counts the allocations of those passes.
// Built against each tree's own VM API (Runner.swift is chosen per tree by vm.sh).
//
// Usage: evalbench BUNDLE.sbc EVENTS.jsonl [EVENTS=50000] [PASSES=5]

import CMallocCounter
import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier

let args = CommandLine.arguments
guard args.count >= 3, let data = FileManager.default.contents(atPath: args[1]),
  let text = FileManager.default.contents(atPath: args[2])
else {
  print("usage: evalbench BUNDLE.sbc EVENTS.jsonl [EVENTS] [PASSES]")
  exit(2)
}
let limit = args.count >= 4 ? Int(args[3]) ?? 50_000 : 50_000
let passes = args.count >= 5 ? Int(args[4]) ?? 5 : 5
guard let bundle = try? BundleDecoder.decodeContent(BundleDecoder.split([UInt8](data)).content) else {
  print("cannot decode \(args[1])")
  exit(1)
}
let verified: VerifiedProgram
do {
  verified = try Verifier(catalog: Builtins.all, limits: Limits(maxInstructions: 1 << 22)).verify(bundle.program)
} catch {
  print("verifier: \(error)")
  exit(1)
}

// Slots from JSON (vm/Events.swift).
let events = decodeEvents(text, for: bundle, limit: limit)

/// One pass: every event through the VM and the decision policy.
struct Pass {
  let events: [[Value?]]
  let scores: [Int]
  let blocks: [Bool]
  let reviews: [Bool]
  let threshold: Int
  var runner: Runner
  var counts = [0, 0, 0]
  var scoreSum = 0

  @inline(never) mutating func run() {
    counts = [0, 0, 0]
    scoreSum = 0
    for e in events {
      let results = runner.run(e)
      var score = 0
      var block = false
      var review = false
      for i in 0..<results.count {
        if case .bool(true) = results[i] {
          score += scores[i]
          if blocks[i] { block = true } else if reviews[i] { review = true }
        }
      }
      counts[block ? 2 : (review || score >= threshold ? 1 : 0)] += 1
      scoreSum += score
    }
  }
}

var bench = Pass(
  events: events, scores: bundle.rules.map(\.score), blocks: bundle.rules.map { $0.outcome == .block },
  reviews: bundle.rules.map { $0.outcome == .review }, threshold: bundle.policy.reviewThreshold,
  runner: Runner(verified))
bench.run()  // warm-up
/// The calling thread's CPU time in ns (immune to other processes' load, unlike wall time).
func threadCPUTime() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
}

let clock = ContinuousClock()
var times: [Double] = []
var cpuTimes: [Double] = []
var allocations: UInt64 = 0
for _ in 0..<passes {
  let a0 = sentinel_thread_allocations()
  let c0 = threadCPUTime()
  let t = clock.measure { bench.run() }
  cpuTimes.append(threadCPUTime() - c0)
  allocations += sentinel_thread_allocations() - a0
  times.append(Double(t.components.seconds) * 1e9 + Double(t.components.attoseconds) / 1e9)
}
times.sort()
cpuTimes.sort()
let n = Double(events.count)
print(
  String(
    format: "%d events, %d instructions (%d run): eval median %.1f ns/event wall, %.1f ns/event CPU (min %.1f),"
      + " %.2f allocations/event; allow/review/block %d/%d/%d, score sum %d",
    events.count, bundle.program.code.count, bench.runner.executedInstructions, times[times.count / 2] / n,
    cpuTimes[cpuTimes.count / 2] / n,
    cpuTimes[0] / n, Double(allocations) / Double(passes) / n, bench.counts[0], bench.counts[1], bench.counts[2],
    bench.scoreSum))
