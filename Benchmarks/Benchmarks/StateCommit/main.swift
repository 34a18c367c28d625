// SQLite state-store throughput: commits of batches of 1, 100 and 1,000 events, each event
// being 3 aggregate-state upserts and 1 decision (the shape of one reference-rule event: a user
// count window, a user stats baseline, an ip distinct window; and its decision line), with
// `synchronous=FULL` (an fsync per commit). Also: `loadState` and `decisionLine` lookups/s.
// Usage: StateCommit [directory for the database files] (default: the system temporary directory)

import Foundation
import SentinelModel
import SentinelState

// MARK: - Workload

let users = 1_000
let minute: Int64 = 60_000_000_000
let specs = [
  AggregateSpec(name: "user_events_1h", kind: .count, windowNanos: 60 * minute),
  AggregateSpec(name: "user_amounts", kind: .stats, valueType: .double),
  AggregateSpec(name: "ip_users_10m", kind: .distinct, windowNanos: 10 * minute, valueType: .string),
]

func timestamp(_ event: Int) -> Timestamp { Timestamp(seconds: 1_795_600_800 + Int64(event) * 7) }

/// The states and decision of event `i`, from the states as the previous events left them.
func event(_ i: Int, _ states: inout [StateKey: AggregateState]) -> ([(StateKey, AggregateState)], DecisionRecord) {
  let user = "user-\(i % users)"
  let keys = [
    StateKey(aggregate: specs[0].name, key: ValueKey.encode(.string(user)) ?? user),
    StateKey(aggregate: specs[1].name, key: ValueKey.encode(.string(user)) ?? user),
    StateKey(aggregate: specs[2].name, key: ValueKey.encode(.string("10.0.\(i % 97).1")) ?? ""),
  ]
  let values: [Value] = [.null, .double(Double(i % 500) + 0.25), .string(user)]
  var out: [(StateKey, AggregateState)] = []
  for (n, k) in keys.enumerated() {
    var s = states[k] ?? AggregateState(kind: specs[n].kind)
    s.apply(specs[n], at: timestamp(i), value: values[n])
    states[k] = s
    out.append((k, s))
  }
  let id = "evt-\(i)-0123456789abcdef"
  let line = "{\"event_id\":\"\(id)\",\"action\":\"allow\",\"score\":20,\"rules\":[\"card_country_mismatch\"]}"
  let d = DecisionRecord(
    eventID: id, line: line, action: "allow", score: 20, rules: ["card_country_mismatch"], eventTime: timestamp(i),
    bundleDigest: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
  return (out, d)
}

/// CPU time (user + system) of this process so far, in seconds: on a shared machine, a figure
/// less disturbed by other processes than the wall clock.
func cpuSeconds() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)  // Glibc imports RUSAGE_SELF as an enum case
  return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

func seconds(_ d: ContinuousClock.Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

// MARK: - Runs

let directory = CommandLine.arguments.dropFirst().first ?? NSTemporaryDirectory()
print("| batch (events) | events | commits | wall s | events/s | commits/s | CPU s | events/CPU-s |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for (batchSize, total) in [(1, 500), (100, 20_000), (1_000, 100_000)] {
  let path = directory + "/sentinel-state-bench-\(batchSize)-\(getpid()).sqlite"
  defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
  do {
    let store = try SQLiteStateStore(path: path)
    var states: [StateKey: AggregateState] = [:]
    // Build the batches first: the figure is the store's (encoding included), not the workload's.
    var batches: [StateBatch] = []
    var i = 0
    while i < total {
      var b = StateBatch()
      for _ in 0..<batchSize {
        let (s, d) = event(i, &states)
        b.states += s
        b.decisions.append(d)
        i += 1
      }
      batches.append(b)
    }
    let clock = ContinuousClock()
    let cpu0 = cpuSeconds()
    let elapsed = try clock.measure { for b in batches { try store.commit(b) } }
    let cpu = cpuSeconds() - cpu0
    let t = seconds(elapsed)
    print(
      "| \(batchSize) | \(total) | \(batches.count) | \(String(format: "%.2f", t)) "
        + "| \(Int(Double(total) / t)) | \(Int(Double(batches.count) / t)) "
        + "| \(String(format: "%.2f", cpu)) | \(Int(Double(total) / cpu)) |")
    if batchSize == 1_000 {
      // Lookups on the largest database: processed-id checks and state loads.
      let n = 100_000
      let c0 = cpuSeconds()
      let lookups = try clock.measure {
        for j in 0..<n { _ = try store.decisionLine(forEventID: "evt-\((j &* 7919) % total)-0123456789abcdef") }
      }
      let c1 = cpuSeconds()
      let keys = Array(states.keys)
      let loads = try clock.measure { for j in 0..<n { _ = try store.loadState(keys[(j &* 7919) % keys.count]) } }
      let c2 = cpuSeconds()
      print("")
      print(
        "decisionLine: \(Int(Double(n) / seconds(lookups))) lookups/s (\(Int(Double(n) / (c1 - c0)))/CPU-s); "
          + "loadState: \(Int(Double(n) / seconds(loads))) loads/s (\(Int(Double(n) / (c2 - c1)))/CPU-s)")
    }
  } catch {
    print("error: \(error)")
    exit(1)
  }
}
