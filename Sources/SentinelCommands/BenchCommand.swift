// `sentinel bench --rules PATH EVENTS.jsonl [--json] [--iterations N]`: decode, evaluation and
// end-to-end speed of a stateless rule set on a corpus, with allocations per event
// (`RuleSetBenchmark` in SentinelRuntime does the measuring).

import ArgumentParser
import Foundation
import SentinelRuntime

/// Measures how fast a rule set decides a corpus.
public struct BenchCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure decode, evaluation and end-to-end decision speed on a corpus of events.",
    discussion: """
      Decides every event of EVENTS.jsonl (one JSON event per line) with a stateless rule set, in
      three passes repeated --iterations times (after one warm-up pass each), and reports the
      median of each:
        decode       JSON line → event slots
        eval         pre-decoded slots → rule program → decision (action, score, matched rules)
        end to end   JSON line → decision (line by line; with --block N, N lines decoded,
                     then their N events decided, block after block)
      with the heap allocations per event of each pass (malloc calls of this thread, counted by
      interposing the C library's allocator). One thread; nothing else runs in the process.

      With --json, one JSON object: events, rejected, rules, iterations, decode_ns_per_event,
      eval_ns_per_event, eval_events_per_s, end_to_end_ns_per_event, end_to_end_events_per_s,
      decode_cpu_ns_per_event, eval_cpu_ns_per_event, end_to_end_cpu_ns_per_event (this thread's
      CPU time: less disturbed by other processes than wall time), allocations_per_event (the
      eval pass), decode_allocations_per_event, end_to_end_allocations_per_event,
      allocation_counting, actions, score_sum, matched_sum and consistent (the end-to-end pass
      decided what the eval pass decided), end_to_end_block (--block).

      Rule sets with aggregates are refused: their decisions depend on state (use replay).

      Example:
        sentinel bench --rules bench/peer-workload/ events.jsonl --json --iterations 5
      """)

  @Option(help: "Rule files or directories, or a compiled bundle (.sbc).")
  var rules: [String]

  @Argument(help: "The events, one JSON object per line.")
  var events: String

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @Option(help: "Timed repetitions of each pass.")
  var iterations = 5

  @Option(
    help: "End-to-end pass in blocks: decode N lines, then decide their events (1: line by line).")
  var block = 1

  public init() {}

  public func validate() throws {
    guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
    guard block >= 1 else { throw ValidationError("--block must be at least 1") }
  }

  public func run() throws {
    let bundle = try loadRuleSet(rules)
    let input = try readFileBytes(events)
    let report: BenchmarkReport
    do {
      report = try RuleSetBenchmark(bundle: bundle, block: block).run(input: input, iterations: iterations)
    } catch {
      printError("bench: \(error)")
      throw ExitCode(1)
    }
    print(json ? report.json : Self.text(report))
  }

  /// The human-readable report.
  static func text(_ r: BenchmarkReport) -> String {
    func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
    func rate(_ ns: Double) -> String { String(format: "%.0f", 1e9 / ns) }
    let actions = r.actions.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
    return """
      \(r.events) events (\(r.rejected) rejected), \(r.rules) rules, median of \(r.iterations) passes
      decode       \(f(r.decodeNanosecondsPerEvent)) ns/event  \(rate(r.decodeNanosecondsPerEvent)) events/s  \
      CPU \(f(r.decodeCPUNanosecondsPerEvent)) ns/event  \(f(r.decodeAllocationsPerEvent, 2)) allocations/event
      eval         \(f(r.evalNanosecondsPerEvent)) ns/event  \(rate(r.evalNanosecondsPerEvent)) events/s  \
      CPU \(f(r.evalCPUNanosecondsPerEvent)) ns/event  \(f(r.evalAllocationsPerEvent, 2)) allocations/event
      end to end   \(f(r.endToEndNanosecondsPerEvent)) ns/event  \(rate(r.endToEndNanosecondsPerEvent)) events/s  \
      CPU \(f(r.endToEndCPUNanosecondsPerEvent)) ns/event  \(f(r.endToEndAllocationsPerEvent, 2)) allocations/event
      decisions    \(actions.joined(separator: ", ")); score sum \(r.scoreSum)\
      \(r.endToEndBlock > 1 ? "\nend to end in blocks of \(r.endToEndBlock) lines" : "")\
      \(r.consistent ? "" : "  (end to end differs from eval!)")\
      \(r.allocationCounting ? "" : "\nallocations are not counted on this platform")
      """
  }
}
