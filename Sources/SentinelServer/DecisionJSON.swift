// The response bodies of the decision routes. A decision body extends `sentinel replay`'s
// decision line (same `event_id`, `action`, `score`, `rules`, in that order) with the reasons,
// the bundle digest, a decision id and the evaluation time.
//
// Rendered as bytes straight into the response's buffer: each rule's `{"rule":…,"reason":…}`
// and the `"bundle_digest"` part are quoted once per bundle (at `init`), not per request.

import NIOCore
import SentinelBytecode
import SentinelCrypto
import SentinelModel
import SentinelRuntime

/// Renders decision outcomes as JSON bodies.
struct DecisionJSON: Sendable {
  /// The active bundle's digest (`sha256:…`).
  let bundleDigest: String
  /// Each rule id's reason, from the active bundle's rule table.
  let reasons: [String: String]
  /// Each rule id's reasons entry, `{"rule":"ID","reason":"…"}`, as UTF-8, for the reasons
  /// without placeholders (`{{` and `}}` read as braces).
  let reasonEntries: [String: [UInt8]]
  /// The entries of the reasons with placeholders (`{expression}`) as a duplicate gets them,
  /// each placeholder `?`; a decision's own entry is built from the reason the decision engine
  /// rendered with the rule's values.
  let templatedEntries: [String: [UInt8]]
  /// `],"bundle_digest":"…","decision_id":"dec_` as UTF-8: what follows the reasons up to the
  /// decision id's hex digits.
  let digestPart: [UInt8]

  init(bundle: LoadedBundle) {
    var r: [String: String] = [:]
    for rule in bundle.bundle.rules { r[rule.id] = rule.reason }
    self.init(bundleDigest: bundle.digest, reasons: r)
  }

  /// A renderer for a bundle with digest `bundleDigest` whose rules have `reasons`.
  init(bundleDigest: String, reasons: [String: String]) {
    self.bundleDigest = bundleDigest
    self.reasons = reasons
    var entries: [String: [UInt8]] = [:]
    var templated: [String: [UInt8]] = [:]
    for (id, reason) in reasons {
      // The decision engine's reading of the template (`DecisionEngine.combine`).
      let entry = Self.reasonEntry(
        rule: id, reason: ReasonTemplate.render(ReasonTemplate.parse(reason).parts, values: []))
      if ReasonTemplate.placeholderCount(reason) == 0 { entries[id] = entry } else { templated[id] = entry }
    }
    reasonEntries = entries
    templatedEntries = templated
    digestPart = Array("],\"bundle_digest\":\(JSONWriter.quote(bundleDigest)),\"decision_id\":\"dec_".utf8)
  }

  static func reasonEntry(rule: String, reason: String) -> [UInt8] {
    Array("{\"rule\":\(JSONWriter.quote(rule)),\"reason\":\(JSONWriter.quote(reason))}".utf8)
  }

  /// The HTTP status and body of one outcome.
  func render(_ outcome: DecisionOutcome) -> (status: Int, body: String) {
    let (status, buffer) = renderBuffer(outcome)
    return (status, String(buffer: buffer))
  }

  /// The HTTP status and body of one outcome, as the response's buffer.
  func renderBuffer(_ outcome: DecisionOutcome) -> (status: Int, body: ByteBuffer) {
    switch outcome {
    case .decided(let d, let line, let micros):
      return (
        200,
        decisionBody(
          line: line, eventID: d.eventID, rules: d.ruleIDs, matched: d.matched, duplicate: false,
          micros: micros)
      )
    case .duplicate(let id, let line, let micros):
      return (
        200,
        decisionBody(
          line: line, eventID: id, rules: Self.ruleIDs(ofLine: line), duplicate: true, micros: micros)
      )
    case .rejected(let line): return (400, ByteBuffer(string: line))
    case .empty: return (400, ByteBuffer(string: Self.error("empty body: expected one JSON event object")))
    case .storeFailed(let message): return (503, ByteBuffer(string: Self.error(message)))
    }
  }

  /// `line` (a decision line, ending in `}`) with the extra fields appended. A reason with
  /// placeholders is the one `matched` holds for its rule (the decision's own values); a
  /// duplicate's decision is not evaluated again, so its placeholders read `?`
  /// (`ReasonTemplate.render` without values).
  func decisionBody(
    line: String, eventID: String, rules: [String], matched: [MatchedRule] = [], duplicate: Bool, micros: Int
  )
    -> ByteBuffer
  {
    var line = line
    var eventID = eventID
    return line.withUTF8 { lineBytes in
      eventID.withUTF8 { idBytes in
        var entriesCount = 0
        for id in rules { entriesCount += reasonEntries[id]?.count ?? (id.utf8.count + 32) }
        // The line, the reasons, the digest part, 24 hex digits, the time, `"duplicate"`.
        var out = ByteBuffer()
        out.reserveCapacity(lineBytes.count + 12 + entriesCount + rules.count + digestPart.count + 24 + 60)
        out.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: lineBytes.dropLast())))
        out.writeStaticString(",\"reasons\":[")
        for (i, id) in rules.enumerated() {
          if i > 0 { out.writeInteger(UInt8(ascii: ",")) }
          if let entry = reasonEntries[id] {
            out.writeBytes(entry)
          } else if let duplicateEntry = templatedEntries[id] {
            if let reason = matched.first(where: { $0.id == id })?.reason {
              out.writeBytes(Self.reasonEntry(rule: id, reason: reason))
            } else {
              out.writeBytes(duplicateEntry)
            }
          } else {
            out.writeBytes(Self.reasonEntry(rule: id, reason: reasons[id] ?? ""))
          }
        }
        out.writeBytes(digestPart)
        Self.writeDecisionIDHex(eventID: idBytes, line: lineBytes, into: &out)
        out.writeStaticString("\",\"evaluation_us\":")
        out.writeString(String(micros))
        if duplicate { out.writeStaticString(",\"duplicate\":true") }
        out.writeInteger(UInt8(ascii: "}"))
        return out
      }
    }
  }

  /// The 24 hex digits of a decision id (`decisionID`), written into `out`.
  static func writeDecisionIDHex(
    eventID: UnsafeBufferPointer<UInt8>, line: UnsafeBufferPointer<UInt8>, into out: inout ByteBuffer
  ) {
    var input: [UInt8] = []
    input.reserveCapacity(eventID.count + 1 + line.count)
    input.append(contentsOf: eventID)
    input.append(UInt8(ascii: "\n"))
    input.append(contentsOf: line)
    let digest = SHA256.digest(input)
    let hex: StaticString = "0123456789abcdef"
    hex.withUTF8Buffer { digits in
      for b in digest.prefix(12) {
        out.writeInteger(digits[Int(b >> 4)])
        out.writeInteger(digits[Int(b & 0x0F)])
      }
    }
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
