// Helpers for the store tests: temporary database paths and sample records.

import Foundation
import SentinelModel
import SentinelState

/// A fresh directory under the system temporary directory, and a database path in it.
func temporaryDatabase(_ name: String = "state.sqlite") -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "sentinel-state-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir.appendingPathComponent(name).path
}

/// Removes a database's directory.
func removeDatabase(_ path: String) {
  try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
}

/// A decision record for `id` with a plausible line.
func decision(
  _ id: String, score: Int = 20, rules: [String] = ["login_failures_warning"], time: Timestamp = at(0)
)
  -> DecisionRecord
{
  let action = score >= 100 ? "block" : score >= 70 ? "review" : "allow"
  let line =
    "{\"event_id\":\(JSONWriter.quote(id)),\"action\":\"\(action)\",\"score\":\(score),\"rules\":["
    + rules.map(JSONWriter.quote).joined(separator: ",") + "]}"
  return DecisionRecord(
    eventID: id, line: line, action: action, score: score, rules: rules, eventTime: time,
    bundleDigest: "sha256:test")
}

/// An unbounded count state that has recorded `n` events.
func countState(_ n: Int) -> AggregateState {
  let spec = AggregateSpec(name: "n", kind: .count)
  var s = AggregateState(kind: .count)
  for i in 0..<n { s.apply(spec, at: at(Int64(i)), value: .null) }
  return s
}

/// The number of events an unbounded count state has recorded.
func countOf(_ s: AggregateState?) -> Int64 {
  guard let s,
    case .int(let n)? = s.read(AggregateSpec(name: "n", kind: .count), at: at(0), current: nil, probe: nil)[0]
  else { return 0 }
  return n
}
