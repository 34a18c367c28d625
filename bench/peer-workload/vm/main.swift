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

// The command line, the bundle and the events' slots (vm/Common.swift).
let input = HarnessInput.load()
let (args, bundle, verified, events, passes) = (
  input.args, input.bundle, input.verified, input.events, input.passes
)

var bench = Pass(
  events: events, scores: bundle.rules.map(\.score), blocks: bundle.rules.map { $0.outcome == .block },
  reviews: bundle.rules.map { $0.outcome == .review }, threshold: bundle.policy.reviewThreshold,
  runner: Runner(verified))
bench.run()  // warm-up
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
