// The response bodies of the decision routes. A decision body extends `sentinel replay`'s
// decision line (same `event_id`, `action`, `score`, `rules`, in that order) with the reasons,
// the bundle digest, a decision id and the evaluation time.

import SentinelCrypto
import SentinelModel
import SentinelRuntime

/// Renders decision outcomes as JSON bodies.
struct DecisionJSON: Sendable {
  /// The active bundle's digest (`sha256:…`).
  let bundleDigest: String
  /// Each rule id's reason, from the active bundle's rule table.
  let reasons: [String: String]

  init(bundle: LoadedBundle) {
    bundleDigest = bundle.digest
    var r: [String: String] = [:]
    for rule in bundle.bundle.rules { r[rule.id] = rule.reason }
    reasons = r
  }

  /// The HTTP status and body of one outcome.
  func render(_ outcome: DecisionOutcome) -> (status: Int, body: String) {
    switch outcome {
    case .decided(let d, let line, let micros):
      return (
        200, decisionBody(line: line, eventID: d.eventID, rules: d.ruleIDs, duplicate: false, micros: micros)
      )
    case .duplicate(let id, let line, let micros):
      return (
        200,
        decisionBody(
          line: line, eventID: id, rules: Self.ruleIDs(ofLine: line), duplicate: true, micros: micros)
      )
    case .rejected(let line): return (400, line)
    case .empty: return (400, Self.error("empty body: expected one JSON event object"))
    case .storeFailed(let message): return (503, Self.error(message))
    }
  }

  /// `line` (a decision line, ending in `}`) with the extra fields appended.
  func decisionBody(line: String, eventID: String, rules: [String], duplicate: Bool, micros: Int) -> String {
    var out = String(line.dropLast())
    out += ",\"reasons\":["
    out += rules.map {
      "{\"rule\":\(JSONWriter.quote($0)),\"reason\":\(JSONWriter.quote(reasons[$0] ?? ""))}"
    }
    .joined(separator: ",")
    out += "],\"bundle_digest\":\(JSONWriter.quote(bundleDigest))"
    out += ",\"decision_id\":\(JSONWriter.quote(Self.decisionID(eventID: eventID, line: line)))"
    out += ",\"evaluation_us\":\(micros)"
    if duplicate { out += ",\"duplicate\":true" }
    out += "}"
    return out
  }

  /// A stable id for a decision: the same for a duplicate and for the stored line, so it can be
  /// derived again from the decision log (`dec_` and 24 hex digits of SHA-256 over id and line).
  static func decisionID(eventID: String, line: String) -> String {
    "dec_" + String(SHA256.hexDigest(utf8: eventID + "\n" + line).prefix(24))
  }

  /// The rule ids of a stored decision line (empty when it does not parse).
  static func ruleIDs(ofLine line: String) -> [String] {
    guard case .map(let m)? = try? JSONReader.parse(line), case .list(let rules)? = m[string: "rules"] else {
      return []
    }
    return rules.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
  }

  /// `{"error": message}`.
  static func error(_ message: String) -> String { "{\"error\":\(JSONWriter.quote(message))}" }
}
