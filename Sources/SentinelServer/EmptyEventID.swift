// The daemon refuses an event whose `event_id` is the empty string: the id is the idempotency
// key and the last segment of `GET /v1/decisions/{event_id}`, and an empty segment names no
// decision (schemathesis found a decision that could never be read back). `sentinel replay`
// keeps accepting it; only the HTTP API adds this rule, before the event reaches the processor.

/// Finds an empty top-level `event_id` without decoding the event.
enum EmptyEventID {
  /// The error line for such an event (`DecisionOutcome.rejected`).
  static let errorLine = #"{"event_id":"","error":"field 'event_id' must not be empty"}"#

  /// Whether `body` is a JSON object whose top-level `"event_id"` member is `""`. Nested
  /// objects are skipped; anything malformed is left to the event decoder (false).
  static func check(_ b: [UInt8]) -> Bool {
    let key: [UInt8] = Array("\"event_id\"".utf8)
    var found = false
    _ = JSONStructure.walk(b) { i, mark, depth in
      // A top-level key: `"event_id"` followed by `:` and `""`.
      guard case .string(let start) = mark, depth == 1, i + 1 - start == key.count,
        b[start...i].elementsEqual(key)
      else { return true }
      var j = i + 1
      while j < b.count, JSONStructure.isSpace(b[j]) { j += 1 }
      guard j < b.count, b[j] == UInt8(ascii: ":") else { return true }
      j += 1
      while j < b.count, JSONStructure.isSpace(b[j]) { j += 1 }
      found = j + 1 < b.count && b[j] == UInt8(ascii: "\"") && b[j + 1] == UInt8(ascii: "\"")
      return !found
    }
    return found
  }
}
