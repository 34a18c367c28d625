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
    var i = 0
    var depth = 0
    var inString = false
    var escaped = false
    var stringStart = 0
    while i < b.count {
      let c = b[i]
      if inString {
        if escaped {
          escaped = false
        } else if c == UInt8(ascii: "\\") {
          escaped = true
        } else if c == UInt8(ascii: "\"") {
          inString = false
          // A top-level key: `"event_id"` followed by `:` and `""`.
          if depth == 1, i + 1 - stringStart == key.count, b[stringStart...i].elementsEqual(key) {
            var j = i + 1
            while j < b.count, isSpace(b[j]) { j += 1 }
            guard j < b.count, b[j] == UInt8(ascii: ":") else {
              i += 1
              continue
            }
            j += 1
            while j < b.count, isSpace(b[j]) { j += 1 }
            if j + 1 < b.count, b[j] == UInt8(ascii: "\""), b[j + 1] == UInt8(ascii: "\"") { return true }
          }
        }
      } else {
        switch c {
        case UInt8(ascii: "\""):
          inString = true
          stringStart = i
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        default: break
        }
      }
      i += 1
    }
    return false
  }

  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
