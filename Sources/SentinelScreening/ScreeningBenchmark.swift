// The screening benchmark (the `sanctions-screening-benchmark` format): perturbed names with the
// entity they should find, negatives that must find nothing, and the candidate pool they were
// drawn from. Measures recall per variation class, the false-positive rate and throughput.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// CPU time of the calling thread in seconds (not wall time: the figure a shared machine does not skew).
func threadCPUSeconds() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// A benchmark file.
public struct ScreeningBenchmark: Sendable, Decodable {
  /// One query.
  public struct Case: Sendable, Decodable {
    /// The perturbed name.
    public var query: String
    /// The pool id of the entity it should find; nil for a negative.
    public var expectedEntityId: String?
    /// The variation class (`typo`, `homoglyph`, … or the negative kind).
    public var perturbation: String
    /// `benign`, `degraded`, `adversarial` or `negative`.
    public var family: String
    /// The unperturbed name.
    public var sourceName: String

    enum CodingKeys: String, CodingKey {
      case query, perturbation, family
      case expectedEntityId = "expected_entity_id"
      case sourceName = "source_name"
    }
  }

  /// Pool id → names.
  public var candidates: [String: [String]]
  /// The queries.
  public var cases: [Case]

  /// Reads a benchmark file.
  public static func load(path: String) throws -> ScreeningBenchmark {
    guard let data = FileManager.default.contents(atPath: path) else { throw ScreeningError.unreadable(path) }
    do {
      return try JSONDecoder().decode(ScreeningBenchmark.self, from: data)
    } catch {
      throw ScreeningError.malformed("\(path): not a screening benchmark: \(error)")
    }
  }

  /// The candidate pool as a list (pool ids as entry ids; non-numeric ids are skipped).
  public var poolList: SanctionsList {
    SanctionsList(
      entries: candidates.compactMap { k, names in
        Int(k).map { id in SanctionsEntry(id: id, names: names.map { EntryName($0, kind: .primary) }) }
      }.sorted { $0.id < $1.id })
  }
}

/// Results of running a benchmark against one list.
public struct BenchmarkReport: Sendable {
  /// Per variation class: (family, class, positives, found).
  public var classes: [(family: String, name: String, total: Int, found: Int)]
  /// Negatives and how many produced a match.
  public var negatives: Int
  /// Negatives with at least one match at or above the threshold.
  public var falsePositives: Int
  /// Queries screened per second of wall time (one thread).
  public var queriesPerSecond: Double
  /// Queries screened per second of the thread's CPU time.
  public var queriesPerCPUSecond: Double
  /// Median and 99th-percentile latency per query, in microseconds.
  public var p50Micros: Double
  /// 99th-percentile latency per query, in microseconds.
  public var p99Micros: Double
  /// Median CPU time per query (the screening thread's), in microseconds: unlike wall-clock
  /// latency, not inflated by waiting for a core on a shared machine.
  public var p50CPUMicros: Double = 0
  /// 99th-percentile CPU time per query, in microseconds.
  public var p99CPUMicros: Double = 0
  /// The threshold used.
  public var threshold: Double
  /// The slowest queries and their CPU time in microseconds.
  public var slowest: [(query: String, micros: Double)] = []

  /// Positives in all classes.
  public var positives: Int { classes.reduce(0) { $0 + $1.total } }
  /// Positives found.
  public var found: Int { classes.reduce(0) { $0 + $1.found } }
  /// Overall recall.
  public var recall: Double { positives == 0 ? 0 : Double(found) / Double(positives) }
  /// Lowest recall over the classes.
  public var worstClassRecall: Double {
    classes.map { $0.total == 0 ? 1 : Double($0.found) / Double($0.total) }.min() ?? 0
  }
  /// False-positive rate over the negatives.
  public var falsePositiveRate: Double { negatives == 0 ? 0 : Double(falsePositives) / Double(negatives) }

  /// A Markdown table.
  public var table: String {
    func pct(_ a: Int, _ b: Int) -> String {
      b == 0 ? "—" : String(format: "%.1f%%", 100 * Double(a) / Double(b))
    }
    var s = "| family | class | cases | found | recall |\n|---|---|---:|---:|---:|\n"
    for c in classes {
      s += "| \(c.family) | \(c.name) | \(c.total) | \(c.found) | \(pct(c.found, c.total)) |\n"
    }
    s += "| **all** | **positives** | \(positives) | \(found) | **\(pct(found, positives))** |\n"
    s +=
      "| negative | false positives | \(negatives) | \(falsePositives) | **\(pct(falsePositives, negatives))** |\n"
    s += String(
      format:
        "\nthreshold %.2f · %.0f queries/s of CPU time, %.0f of wall time · per query: CPU p50 %.0f µs · p99 %.0f µs, wall p50 %.0f µs · p99 %.0f µs (one thread)\n",
      threshold, queriesPerCPUSecond, queriesPerSecond, p50CPUMicros, p99CPUMicros, p50Micros, p99Micros)
    s +=
      "slowest (CPU): "
      + slowest.map { String(format: "%.0f µs ", $0.micros) + $0.query }.joined(separator: " · ")
      + "\n"
    return s
  }
}

/// Runs a benchmark.
public enum BenchmarkRunner {
  /// Screens every case against `screener`. A positive counts as found when the best match is an
  /// entry the expected pool entity stands for (`expected(poolId)` gives the acceptable ids).
  public static func run(
    _ benchmark: ScreeningBenchmark, screener: Screener, expected: (String) -> Set<Int>
  ) -> BenchmarkReport {
    var classes: [String: (family: String, total: Int, found: Int)] = [:]
    var order: [String] = []
    var negatives = 0
    var falsePositives = 0
    var latencies: [Double] = []
    latencies.reserveCapacity(benchmark.cases.count)
    var cpuLatencies: [Double] = []
    cpuLatencies.reserveCapacity(benchmark.cases.count)
    let clock = ContinuousClock()
    let start = clock.now
    let cpuStart = threadCPUSeconds()
    for c in benchmark.cases {
      let t0 = clock.now
      let c0 = threadCPUSeconds()
      let matches = screener.screen(c.query, limit: 1)
      cpuLatencies.append((threadCPUSeconds() - c0) * 1e6)
      latencies.append(Double((clock.now - t0).components.attoseconds) / 1e12)
      if let pool = c.expectedEntityId {
        if classes[c.perturbation] == nil {
          order.append(c.perturbation)
          classes[c.perturbation] = (c.family, 0, 0)
        }
        classes[c.perturbation]?.total += 1
        if let best = matches.first, expected(pool).contains(best.id) { classes[c.perturbation]?.found += 1 }
      } else {
        negatives += 1
        if !matches.isEmpty { falsePositives += 1 }
      }
    }
    let cpu = threadCPUSeconds() - cpuStart
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let slowest = zip(benchmark.cases.map(\.query), cpuLatencies).sorted { $0.1 > $1.1 }.prefix(5)
      .map { (query: $0.0, micros: $0.1) }
    latencies.sort()
    cpuLatencies.sort()
    func percentile(_ p: Double, _ latencies: [Double] = latencies) -> Double {
      latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
    }
    let familyOrder = ["benign": 0, "degraded": 1, "adversarial": 2]
    let rows = order.compactMap { k in
      classes[k].map { (family: $0.family, name: k, total: $0.total, found: $0.found) }
    }
    .sorted { (familyOrder[$0.family] ?? 9, $0.name) < (familyOrder[$1.family] ?? 9, $1.name) }
    return BenchmarkReport(
      classes: rows, negatives: negatives, falsePositives: falsePositives,
      queriesPerSecond: seconds > 0 ? Double(benchmark.cases.count) / seconds : 0,
      queriesPerCPUSecond: cpu > 0 ? Double(benchmark.cases.count) / cpu : 0, p50Micros: percentile(0.5),
      p99Micros: percentile(0.99), p50CPUMicros: percentile(0.5, cpuLatencies),
      p99CPUMicros: percentile(0.99, cpuLatencies), threshold: screener.threshold, slowest: Array(slowest))
  }

  /// Against the pool itself: the expected id is the pool id.
  public static func runAgainstPool(_ benchmark: ScreeningBenchmark, threshold: Double) -> BenchmarkReport {
    let screener = Screener(index: ScreeningIndex(list: benchmark.poolList), threshold: threshold)
    return run(benchmark, screener: screener) { Int($0).map { [$0] } ?? [] }
  }

  /// Against a full list: a pool entity stands for every list entry that has its name (primary
  /// name or alias, compared after normalization).
  public static func runAgainstList(
    _ benchmark: ScreeningBenchmark, index: ScreeningIndex, threshold: Double
  ) -> BenchmarkReport {
    var byName: [String: Set<Int>] = [:]
    for e in index.list.entries {
      for n in e.names { byName[NameNormalizer.normalize(n.text), default: []].insert(e.id) }
    }
    var expected: [String: Set<Int>] = [:]
    for (k, names) in benchmark.candidates {
      expected[k] = names.reduce(into: Set<Int>()) {
        $0.formUnion(byName[NameNormalizer.normalize($1)] ?? [])
      }
    }
    return run(benchmark, screener: Screener(index: index, threshold: threshold)) { expected[$0] ?? [] }
  }
}
