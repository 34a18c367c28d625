// The closure-compiled variant of the eval benchmark (bench/peer-workload/closure.sh, issue 5,
// session 14): loads and verifies a bundle and decodes the first N events into slots as
// vm/main.swift does (untimed), translates the verified program into closures (Closures.swift),
// then, by MODE: `check` compares every event's rule results of the closures with the VM's;
// `vm` or `closure` times passes of "run + decision" (median CPU ns/event); `dump` prints the
// fused program's opcode histogram. Usage: evalbench BUNDLE EVENTS.jsonl [N] [PASSES] [MODE]

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
// --- The closure variant (bench/peer-workload/closure.sh): MODE = vm | closure | check | dump.
let mode = args.count >= 6 ? args[5] : "check"
let translation = translate(verified)
if !translation.unsupported.isEmpty {
  print("unsupported, experiment aborted:\n  " + translation.unsupported.joined(separator: "\n  "))
  exit(3)
}
if mode == "dump" {
  print(
    "fused program: \(verified.code.count) instructions, \(translation.blocks.count) blocks, \(verified.program.registerCount) registers"
  )
  for (k, v) in translation.histogram.sorted(by: { $0.value > $1.value }) { print("  \(v)\t\(k)") }
  print("blocks not specialized, by opcode sequence: \(translation.shapes.values.reduce(0, +))")
  for (k, v) in translation.shapes.sorted(by: { $0.value > $1.value }) { print("  \(v)\t\(k)") }
  exit(0)
}
let ruleCount = Int(bundle.program.ruleCount)
let scores = bundle.rules.map(\.score)
let blocks = bundle.rules.map { $0.outcome == .block }
let reviews = bundle.rules.map { $0.outcome == .review }
let threshold = bundle.policy.reviewThreshold

/// One pass of the closures; an event they cannot run (`failed`) is run again on the VM.
struct ClosurePass {
  let events: [[Value?]]
  let scores: [Int]
  let blocks: [Bool]
  let reviews: [Bool]
  let threshold: Int
  let closures: ClosureRunner
  var runner: Runner
  var counts = [0, 0, 0]
  var scoreSum = 0
  var fallbacks = 0

  @inline(never) mutating func run() {
    counts = [0, 0, 0]
    scoreSum = 0
    fallbacks = 0
    for e in events {
      var score = 0
      var block = false
      var review = false
      if closures.run(e) {
        let results = closures.results
        for i in 0..<closures.ruleCount where results[i] {
          score += scores[i]
          if blocks[i] { block = true } else if reviews[i] { review = true }
        }
      } else {
        fallbacks += 1
        let results = runner.run(e)
        for i in 0..<results.count {
          if case .bool(true) = results[i] {
            score += scores[i]
            if blocks[i] { block = true } else if reviews[i] { review = true }
          }
        }
      }
      counts[block ? 2 : (review || score >= threshold ? 1 : 0)] += 1
      scoreSum += score
    }
  }
}

let closureRunner = ClosureRunner(
  translation, variableCount: bundle.program.variables.count, ruleCount: ruleCount)

if mode == "check" {
  // Per event, per rule: the closures' result against the VM's (true iff `.bool(true)`).
  var vm = Runner(verified)
  var fallbacks = 0
  var mismatches = 0
  var trueResults = 0
  for (n, e) in events.enumerated() {
    let expected = vm.run(e).map { if case .bool(true) = $0 { return true } else { return false } }
    trueResults += expected.filter { $0 }.count
    guard closureRunner.run(e) else {
      fallbacks += 1
      continue
    }
    if closureRunner.resultArray != expected {
      mismatches += 1
      if mismatches <= 5 { print("event \(n): VM \(expected), closures \(closureRunner.resultArray)") }
    }
  }
  print(
    "check: \(events.count) events, \(ruleCount) rules, \(trueResults) true rule results, \(mismatches) mismatching events, \(fallbacks) fallbacks to the VM"
  )
  // The same with one slot per event unbound or of another kind (slot i % count): the closures
  // must either give the VM's results or hand the event to the VM.
  var damagedFallbacks = 0
  var damagedMismatches = 0
  for (n, original) in events.enumerated() {
    var e = original
    let slot = n % e.count
    e[slot] =
      n % 2 == 0
      ? nil : (e[slot].map { if case .string = $0 { return .int(1) } else { return .string("x") } } ?? nil)
    let expected = vm.run(e).map { if case .bool(true) = $0 { return true } else { return false } }
    guard closureRunner.run(e) else {
      damagedFallbacks += 1
      continue
    }
    if closureRunner.resultArray != expected { damagedMismatches += 1 }
  }
  print(
    "check, one slot damaged per event: \(damagedMismatches) mismatching events, \(damagedFallbacks) fallbacks to the VM"
  )
  exit(mismatches == 0 && damagedMismatches == 0 ? 0 : 1)
}

var vmPass = Pass(
  events: events, scores: scores, blocks: blocks, reviews: reviews, threshold: threshold,
  runner: Runner(verified))
var closurePass = ClosurePass(
  events: events, scores: scores, blocks: blocks, reviews: reviews, threshold: threshold,
  closures: closureRunner,
  runner: Runner(verified))
if mode == "both" {
  // VM and closure passes alternating in this one process (the machine's noise moves in steps
  // of seconds: consecutive passes see the same machine), medians of each.
  vmPass.run()
  closurePass.run()
  var vmTimes: [Double] = []
  var closureTimes: [Double] = []
  for _ in 0..<passes {
    var c0 = threadCPUTime()
    vmPass.run()
    vmTimes.append(threadCPUTime() - c0)
    c0 = threadCPUTime()
    closurePass.run()
    closureTimes.append(threadCPUTime() - c0)
  }
  let n = Double(events.count)
  let ratios = zip(closureTimes, vmTimes).map { $0 / $1 }.sorted()
  print(
    String(
      format:
        "both: %d events × %d passes alternating: VM median %.1f (min %.1f), closures median %.1f (min %.1f)"
        + " ns/event CPU; closures/VM per pair: median %.3f (min %.3f, max %.3f); VM %d/%d/%d %d,"
        + " closures %d/%d/%d %d, fallbacks %d",
      events.count, passes, vmTimes.sorted()[passes / 2] / n, vmTimes.min()! / n,
      closureTimes.sorted()[passes / 2] / n, closureTimes.min()! / n, ratios[passes / 2], ratios[0],
      ratios[passes - 1], vmPass.counts[0], vmPass.counts[1], vmPass.counts[2], vmPass.scoreSum,
      closurePass.counts[0], closurePass.counts[1], closurePass.counts[2], closurePass.scoreSum,
      closurePass.fallbacks))
  exit(vmPass.counts == closurePass.counts && vmPass.scoreSum == closurePass.scoreSum ? 0 : 1)
}
let runPass: () -> (counts: [Int], scoreSum: Int, fallbacks: Int) =
  mode == "vm"
  ? {
    vmPass.run()
    return (vmPass.counts, vmPass.scoreSum, 0)
  }
  : {
    closurePass.run()
    return (closurePass.counts, closurePass.scoreSum, closurePass.fallbacks)
  }
var last = runPass()  // warm-up
var cpuTimes: [Double] = []
var allocations: UInt64 = 0
for _ in 0..<passes {
  let a0 = sentinel_thread_allocations()
  let c0 = threadCPUTime()
  last = runPass()
  cpuTimes.append(threadCPUTime() - c0)
  allocations += sentinel_thread_allocations() - a0
}
cpuTimes.sort()
let count = Double(events.count)
print(
  String(
    format: "%@: %d events: eval median %.1f ns/event CPU (min %.1f), %.2f allocations/event;"
      + " allow/review/block %d/%d/%d, score sum %d, VM fallbacks %d",
    mode, events.count, cpuTimes[cpuTimes.count / 2] / count, cpuTimes[0] / count,
    Double(allocations) / Double(passes) / count, last.counts[0], last.counts[1], last.counts[2],
    last.scoreSum,
    last.fallbacks))
