// Event decoding throughput and allocations on the reference corpus: SentinelIQ's schema-driven
// EventDecoder against Foundation's JSONDecoder (into an equivalent Codable struct) and
// JSONSerialization. The accepted lines of fixtures/reference-corpus/events.jsonl are repeated
// with fresh event_ids to ~100k events; each benchmark iteration decodes the next 1,000 of them
// (scaling factor kilo), so the scaled metrics (`*`) are per event: throughput = events/s,
// mallocs = mallocs per event.

import Benchmark
import Foundation
import SentinelEventDecoder
import SentinelModel

/// The benchmark input: ~100k event lines as Strings and as Data.
struct Corpus: Sendable {
  var lines: [String]
  var data: [Data]

  static let repetitions = 35

  static func load() -> Corpus {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let dir =
      ProcessInfo.processInfo.environment["SENTINEL_CORPUS"].map { URL(fileURLWithPath: $0) }
      ?? root.appendingPathComponent("fixtures/reference-corpus")
    guard
      let events = try? String(contentsOf: dir.appendingPathComponent("events.jsonl"), encoding: .utf8),
      let decisions = try? String(contentsOf: dir.appendingPathComponent("decisions.jsonl"), encoding: .utf8)
    else { fatalError("cannot read the reference corpus in \(dir.path)") }
    let e = events.split(separator: "\n").map(String.init)
    let d = decisions.split(separator: "\n").map(String.init)
    // The lines the reference accepts (no "error" in the expected decision).
    let accepted = zip(e, d).filter { !$0.1.contains("\"error\"") }.map(\.0)
    var lines: [String] = []
    lines.reserveCapacity(accepted.count * repetitions)
    for r in 0..<repetitions {
      for line in accepted { lines.append(freshID(line, suffix: "-r\(r)")) }
    }
    return Corpus(lines: lines, data: lines.map { Data($0.utf8) })
  }

  /// The line with `suffix` appended inside its event_id string (escapes left as they are).
  static func freshID(_ line: String, suffix: String) -> String {
    guard let key = line.range(of: "\"event_id\"") else { return line }
    var i = key.upperBound
    while i < line.endIndex, line[i] != "\"" { i = line.index(after: i) }  // skip `:` and spaces
    guard i < line.endIndex else { return line }
    i = line.index(after: i)
    while i < line.endIndex, line[i] != "\"" {
      if line[i] == "\\" { i = line.index(after: i) }
      i = line.index(after: i)
    }
    guard i < line.endIndex else { return line }
    return String(line[..<i]) + suffix + String(line[i...])
  }
}

/// What the Codable path decodes: the reference schema as a Decodable struct.
struct CodableEvent: Decodable {
  struct Geo: Decodable {
    var lat: Double
    var lon: Double
  }
  var event_id: String
  var type: String
  var ts: String
  var user_id: String
  var ip: String?
  var country_code: String?
  var geo: Geo?
  var device_id: String?
  var success: Bool?
  var amount: Double?
  var currency: String?
  var card_country: String?
  var merchant_category: String?
  var beneficiary_name: String?
}

let allowedTypes: Set<String> = ["login", "transaction", "withdrawal", "password_reset", "email_change"]

/// JSONDecoder plus the validation the EventDecoder does on top of types: the timestamp, the
/// allowed types, and amount for transactions and withdrawals.
func decodeWithJSONDecoder(_ decoder: JSONDecoder, _ data: Data) -> Bool {
  guard let e = try? decoder.decode(CodableEvent.self, from: data),
    let ts = Timestamp.parse(e.ts, strictUTC: true), allowedTypes.contains(e.type),
    e.amount != nil || (e.type != "transaction" && e.type != "withdrawal")
  else { return false }
  blackHole(ts)
  blackHole(e)
  return true
}

nonisolated(unsafe) var corpus = Corpus(lines: [], data: [])
nonisolated(unsafe) var cursor = 0

@inline(__always) func nextIndex() -> Int {
  cursor += 1
  if cursor == corpus.lines.count { cursor = 0 }
  return cursor
}

let benchmarks: @Sendable () -> Void = {
  corpus = Corpus.load()
  let slotNames = EventSchema.reference.slots.map(\.qualifiedName)
  let decoder = EventDecoder(schema: .reference, slotOrder: slotNames)
  let typical = EventDecoder(
    schema: .reference,
    slotOrder: [
      "event.type", "event.user_id", "event.ts", "event.success", "event.amount", "event.country_code",
      "event.geo.lat", "event.geo.lon", "event.ip", "event.device_id",
    ])

  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .throughput, .mallocCountTotal],
    timeUnits: .nanoseconds,
    warmupIterations: 3,
    scalingFactor: .kilo,
    maxDuration: .seconds(5),
    maxIterations: 1_000_000
  )

  Benchmark("EventDecoder (all 16 slots, reused buffer)") { benchmark in
    var slots = decoder.makeSlots()
    for _ in benchmark.scaledIterations {
      do {
        blackHole(try decoder.decode(corpus.lines[nextIndex()], into: &slots))
      } catch {
        fatalError("rejected: \(error)")
      }
    }
    blackHole(slots)
  }

  Benchmark("EventDecoder (10 slots, reused buffer)") { benchmark in
    var slots = typical.makeSlots()
    for _ in benchmark.scaledIterations {
      blackHole(try? typical.decode(corpus.lines[nextIndex()], into: &slots))
    }
    blackHole(slots)
  }

  // What the scanner's raw-pointer input saves: the same decode after copying the line into a
  // [UInt8] (as a bounds-checked, Array-based scanner would need).
  Benchmark("EventDecoder (all 16 slots, line copied to [UInt8] first)") { benchmark in
    var slots = decoder.makeSlots()
    for _ in benchmark.scaledIterations {
      blackHole(try? decoder.decode(Array(corpus.lines[nextIndex()].utf8), into: &slots))
    }
    blackHole(slots)
  }

  Benchmark("EventDecoder (all 16 slots, new DecodedEvent)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try? decoder.decode(corpus.lines[nextIndex()]))
    }
  }

  Benchmark("Foundation JSONDecoder (Codable struct + ts/type checks)") { benchmark in
    let jsonDecoder = JSONDecoder()
    for _ in benchmark.scaledIterations {
      guard decodeWithJSONDecoder(jsonDecoder, corpus.data[nextIndex()]) else { fatalError("rejected") }
    }
  }

  Benchmark("Foundation JSONSerialization (parse only)") { benchmark in
    for _ in benchmark.scaledIterations {
      blackHole(try? JSONSerialization.jsonObject(with: corpus.data[nextIndex()]))
    }
  }
}
