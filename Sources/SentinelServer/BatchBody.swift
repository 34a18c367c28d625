// Splits a batch request body into its events without decoding them: either a JSON array of
// event objects or NDJSON (one event per line, blank lines skipped). Each element's bytes go to
// the event decoder unchanged, so a batch element is judged exactly as a single request body.

/// A batch body that cannot be split into events; the message names the problem.
struct BatchBodyError: Error, Sendable, Equatable {
  /// A lowercase one-line message.
  let message: String
}

/// Splitting batch bodies.
enum BatchBody {
  /// The events of `body`: the elements of a JSON array (when the first non-blank byte is `[`),
  /// else the non-blank lines. With `requireArray` (the body was sent as `application/json`),
  /// anything but an array is refused: NDJSON is not JSON.
  static func split(_ body: [UInt8], requireArray: Bool = false) throws(BatchBodyError) -> [[UInt8]] {
    guard let first = body.firstIndex(where: { !isSpace($0) }) else {
      throw BatchBodyError(message: "empty body: expected a JSON array of events or NDJSON")
    }
    if body[first] == UInt8(ascii: "[") { return try splitArray(body, from: first) }
    if requireArray {
      throw BatchBodyError(
        message: "expected a JSON array of events (send NDJSON with Content-Type: application/x-ndjson)")
    }
    return body.split(separator: 10, omittingEmptySubsequences: true)
      .filter { $0.contains { !isSpace($0) } }
      .map { Array($0) }
  }

  static func isSpace(_ b: UInt8) -> Bool { JSONStructure.isSpace(b) }

  /// The elements of the JSON array starting at `start`: each element's bytes, found by
  /// tracking nesting and strings (the element itself is validated later, by the decoder).
  static func splitArray(_ b: [UInt8], from start: Int) throws(BatchBodyError) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = start + 1
    func skipSpace() { while i < b.count && isSpace(b[i]) { i += 1 } }
    skipSpace()
    if i < b.count && b[i] == UInt8(ascii: "]") {
      i += 1
      skipSpace()
      guard i == b.count else {
        throw BatchBodyError(message: "unexpected data after the batch array at byte \(i)")
      }
      return out
    }
    while true {
      skipSpace()
      let elementStart = i
      // The element ends at the first `,` or closing bracket outside it.
      i = JSONStructure.walk(b, from: i) { _, mark, depth in
        switch mark {
        case .comma: return depth != 0
        case .close: return depth >= 0
        case .string, .open: return true
        }
      }
      guard i < b.count else { throw BatchBodyError(message: "unterminated batch array: expected `]`") }
      var end = i
      while end > elementStart && isSpace(b[end - 1]) { end -= 1 }
      guard end > elementStart else {
        throw BatchBodyError(message: "empty element in the batch array at byte \(elementStart)")
      }
      out.append(Array(b[elementStart..<end]))
      if b[i] == UInt8(ascii: ",") {
        i += 1
        continue
      }
      guard b[i] == UInt8(ascii: "]") else {
        throw BatchBodyError(message: "unexpected `}` in the batch array at byte \(i)")
      }
      i += 1
      skipSpace()
      guard i == b.count else {
        throw BatchBodyError(message: "unexpected data after the batch array at byte \(i)")
      }
      return out
    }
  }
}
