// Runs the screening benchmark against the candidate pool and the full list, as
// `sentinel screen --list LIST --benchmark BENCH [--threshold T]` does, and reports the
// list's load and index times (thread CPU seconds).
// Usage: screening-bench LIST BENCH [THRESHOLD] [--full-only] [--profile]
//   --full-only   only the full list
//   --profile     only screen the benchmark's queries against the full list, 5 times (for perf;
//                 SCREENING_REPEAT=N for N times)
//   --dump        print every benchmark query's matches against the full list (limit 10), with
//                 scores and explanations, to compare two versions' results line for line

import CHeapInUse
import Foundation
import SentinelScreening

#if canImport(Glibc)
  import Glibc
#endif

/// Bytes the C heap holds for the program (glibc: in use in the main arena plus mmapped chunks;
/// one thread allocates here, so the main arena holds everything it allocates).
func heapInUse() -> Int { Int(screening_heap_in_use()) }

/// The process's resident set size in bytes (`VmRSS` of /proc/self/status; 0 elsewhere).
func residentBytes() -> Int {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
  }
  return 0
}

func cpuSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

let flags = Set(CommandLine.arguments.dropFirst().filter { $0.hasPrefix("--") })
let args = CommandLine.arguments.filter { !$0.hasPrefix("--") }
guard args.count >= 3 else {
  FileHandle.standardError.write(Data("usage: screening-bench LIST BENCH [THRESHOLD] [--full-only]\n".utf8))
  exit(2)
}
let threshold = args.count > 3 ? Double(args[3]) ?? defaultScreeningThreshold : defaultScreeningThreshold
let benchmark = try ScreeningBenchmark.load(path: args[2])
let h0 = heapInUse()
let r0 = residentBytes()
let t0 = cpuSeconds()
let loaded = try SanctionsLoader.load(path: args[1])
let t1 = cpuSeconds()
let h1 = heapInUse()
let r1 = residentBytes()
let index = ScreeningIndex(list: loaded.list)
let t2 = cpuSeconds()
let h2 = heapInUse()
let r2 = residentBytes()
// One query's working memory (per concurrent query, allocated on a screener's first query).
let scratchScreener = Screener(index: index, threshold: threshold)
_ = scratchScreener.screen("MUHAMMAD ALI", limit: 1)
let h3 = heapInUse()
print(
  String(
    format: "list: %d entries, %d names; load %.2f s CPU, index %.2f s CPU", loaded.list.entries.count,
    index.names.count, t1 - t0, t2 - t1))
print(
  String(
    format: "index heap: %d bytes (%.1f MiB; mallinfo2 in-use + mmapped, after − before building it); "
      + "one query's scratch: %d bytes; the list: %d bytes", h2 - h1, Double(h2 - h1) / 1_048_576, h3 - h2,
    h1 - h0))
print(
  String(
    format: "resident set: %.1f MiB before loading the list, %.1f MiB with it, %.1f MiB once the index is "
      + "built (+%.1f MiB)\n", Double(r0) / 1_048_576, Double(r1) / 1_048_576, Double(r2) / 1_048_576,
    Double(r2 - r1) / 1_048_576))
if flags.contains("--profile") {
  let screener = Screener(index: index, threshold: threshold)
  let c0 = cpuSeconds()
  var found = 0
  let repeats = ProcessInfo.processInfo.environment["SCREENING_REPEAT"].flatMap { Int($0) } ?? 5
  for _ in 0..<repeats {
    for c in benchmark.cases { found += screener.screen(c.query, limit: 1).count }
  }
  let n = repeats * benchmark.cases.count
  print(
    String(
      format: "%d queries, %d matches, %.0f queries/s of CPU time", n, found, Double(n) / (cpuSeconds() - c0))
  )
  exit(0)
}
if flags.contains("--dump") {
  let screener = Screener(index: index, threshold: threshold)
  for c in benchmark.cases {
    print("Q \(c.query)")
    for m in screener.screen(c.query, limit: 10) {
      let pairs = m.pairs.map { "\($0.query)~\($0.list) \($0.similarity) \($0.reason.rawValue)" }
      print(
        "  \(m.id) \(m.score) \(m.matchedName) qc=\(m.queryCoverage) lc=\(m.listCoverage) t=\(m.truncated) "
          + "[\(pairs.joined(separator: ", "))] uq=\(m.unmatchedQuery) ul=\(m.unmatchedList)")
    }
  }
  exit(0)
}
if !flags.contains("--full-only") {
  print("## Against the benchmark's candidate pool (\(benchmark.candidates.count) entities)\n")
  print(BenchmarkRunner.runAgainstPool(benchmark, threshold: threshold).table)
}
print("## Against the full list\n")
print(BenchmarkRunner.runAgainstList(benchmark, index: index, threshold: threshold).table)
